/* Xiaoge courier handheld, part 4 of 5: my store's money, today and this month (Asia/Shanghai).
 *
 * GET /courier/earnings/day and GET /courier/earnings (this month): sales and commission in
 * yuan, big enough to read at arm's length, with the orders handed over. Read when the app
 * opens, when the network comes back, after each handover, and on the refresh button.
 * Online only: the last figures stay on screen, marked with the time they were read.
 * Uses the basics outbox.js put in window.XiaogeHandheld; handheld.js loads after.
 */
(function () {
  "use strict";

  var X = window.XiaogeHandheld;
  var state = X.state, $ = X.$, api = X.api;

  function yuan(fen) {
    return "¥" + Math.floor(fen / 100).toLocaleString("en-US") + "." + String(fen % 100).padStart(2, "0");
  }

  function show(prefix, figures) {
    $(prefix + "-sales").textContent = yuan(figures.sales_fen);
    $(prefix + "-commission").textContent = yuan(figures.commission_fen);
    $(prefix + "-orders").textContent = figures.orders + " 单 orders" +
      (figures.free_items ? " · " + figures.free_items + " 件摇中 won" : "");
  }

  function say(text, kind) {
    var message = $("earn-message");
    message.textContent = text;
    message.dataset.kind = kind || "";
  }

  function loadEarnings() {
    if (!state.token || !navigator.onLine) return Promise.resolve();
    return Promise.all([api("GET", "/courier/earnings/day"), api("GET", "/courier/earnings")]).then(function (answers) {
      if (answers[0].status === 401 || answers[1].status === 401) return X.expire();
      if (answers[0].status !== 200 || answers[1].status !== 200) return say("暂时读不到 Not available now", "bad");
      show("earn-today", answers[0].body);
      show("earn-month", answers[1].body);
      $("earn-month-label").textContent = answers[1].body.month;
      say("更新于 Updated " + new Date().toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit"}), "");
    }, function (failure) { say(failure.message + "：显示的是上次的数字 showing the last figures", "bad"); });
  }

  $("earn-refresh").addEventListener("click", loadEarnings);
  Object.assign(X, {loadEarnings: loadEarnings});
})();
