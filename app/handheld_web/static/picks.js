/* Xiaoge courier handheld, part 2 of 5: the pick list and the handover.
 *
 * The chosen compound's orders to hand over, from GET /courier/pickups, kept on the device
 * for offline use and updated live (`pickup_added`, heard by handheld.js). A handover
 * checks the shopper's 6-digit pickup code with the server; it never passes offline.
 * Uses the basics outbox.js put in window.XiaogeHandheld; handheld.js loads after.
 */
(function () {
  "use strict";

  var X = window.XiaogeHandheld;
  var state = X.state, REASONS = X.REASONS, PICKS_KEY = X.PICKS_KEY;
  var $ = X.$, h = X.h, uuid = X.uuid, clock = X.clock, local = X.local, api = X.api;

  function loadPicks() {
    if (!state.token || !navigator.onLine) return Promise.resolve();
    return api("GET", "/courier/pickups").then(function (answer) {
      if (answer.status === 401) return X.expire();
      if (answer.status !== 200) return;
      state.picks = answer.body.orders || [];
      state.picksAt = new Date().toISOString();
      local.set(PICKS_KEY, {at: state.picksAt, orders: state.picks});
      X.renderRoute();
      renderPicks();
    }, function () { renderPicks(); });
  }

  function addPick(order, live) {
    if (!state.picks.some(function (o) { return o.id === order.id; })) state.picks.push(order);
    local.set(PICKS_KEY, {at: state.picksAt, orders: state.picks});
    X.renderRoute();
    renderPicks(live ? order.id : null);
  }

  function renderPicks(freshId) {
    var list = $("picks");
    if (!state.selected) return;
    var orders = state.picks.filter(function (o) { return o.compound_id === state.selected.id; });
    $("pick-count").textContent = orders.length;
    $("pick-note").textContent = !orders.length ? "暂无待取货 Nothing to hand over here" :
      (navigator.onLine ? "" : "离线副本 Offline copy, " + (state.picksAt ? clock(state.picksAt) : "?"));
    // Cards already shown stay as they are: a code half typed in one survives a live update.
    var shown = {};
    Array.prototype.slice.call(list.children).forEach(function (card) {
      var keep = card.dataset.done || orders.some(function (o) { return String(o.id) === card.dataset.orderId; });
      if (keep) shown[card.dataset.orderId] = true;
      else card.remove();
    });
    orders.forEach(function (order) {
      if (!shown[order.id]) list.appendChild(pickCard(order, order.id === freshId));
    });
  }

  function pickCard(order, fresh) {
    var goods = (order.items || []).map(function (i) {
      return i.name + " ×" + i.quantity + (i.next_run ? "（下一趟 next run）" : "");
    }).join("，");
    var input = h("input", {class: "code", inputmode: "numeric", pattern: "[0-9]*", maxlength: "6",
                            autocomplete: "off", enterkeyhint: "done", placeholder: "取货码 code",
                            "aria-label": "取货码 Pickup code for order " + order.id});
    var message = h("p", {class: "message", role: "alert"});
    var button = h("button", {type: "submit", class: "big primary", text: "交货 Hand over"});
    var form = h("form", {class: "handover", novalidate: "", onsubmit: function (event) {
      event.preventDefault();
      handover(order, input, button, message);
    }}, [input, button, message]);
    var shopper = (order.shopper && order.shopper.nickname) || "顾客 shopper";
    var card = h("li", {class: "pick" + (fresh ? " fresh" : ""), "data-order-id": order.id}, [
      h("div", {class: "pick-head"}, [h("b", {text: "#" + order.id}), h("span", {text: shopper}),
        order.source === "shake" ? h("em", {text: "摇中 won"}) : null]),
      h("p", {class: "goods", text: goods}), form]);
    if (fresh) setTimeout(function () { card.classList.remove("fresh"); }, 15000);
    return card;
  }

  function handover(order, input, button, message) {
    var code = input.value.replace(/\s/g, "");
    var say = function (text, kind) { message.textContent = text; message.dataset.kind = kind; };
    if (!/^\d{6}$/.test(code)) return say("请输入6位取货码 Enter the 6-digit code", "bad");
    if (!navigator.onLine) return say("无网络：不能核对，先别交货 No network: code not checked, do not hand over", "bad");
    var pending = state.handovers[order.id];  // a resend of the same code keeps its event_id
    var eventId = pending && pending.code === code ? pending.eventId : uuid();
    state.handovers[order.id] = {code: code, eventId: eventId};
    button.disabled = true;
    say("核对中 Checking…", "wait");
    api("POST", "/courier/pickups/" + order.id + "/handover", {pickup_code: code, event_id: eventId})
      .then(function (answer) {
        delete state.handovers[order.id];
        var error = answer.body.error || {};
        if (answer.status === 200) {
          say("已交货 Handed over ✓ 请给货 Give the goods", "good");
          input.disabled = true;
          input.closest(".pick").dataset.done = "yes";  // stays on screen until another compound is chosen
          state.picks = state.picks.filter(function (o) { return o.id !== order.id; });
          local.set(PICKS_KEY, {at: state.picksAt, orders: state.picks});
          X.renderRoute();
          X.loadEarnings();  // the sale counts now
          return;
        }
        button.disabled = false;
        if (answer.status === 401) return X.expire();
        if (error.code === "wrong_code") {
          input.select();
          return say(REASONS.wrong_code + " · 还可试 " + error.attempts_left + " 次 " + error.attempts_left +
                     " tries left", "bad");
        }
        if (error.code === "too_many_attempts") button.disabled = true;
        say(REASONS[error.code] || error.message || "HTTP " + answer.status, "bad");
      }, function (failure) {
        button.disabled = false;
        say(failure.message + "：未核对，请重试 Code not checked, try again", "bad");
      });
  }

  Object.assign(X, {loadPicks: loadPicks, addPick: addPick, renderPicks: renderPicks});
})();
