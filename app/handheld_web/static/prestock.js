/* Xiaoge courier handheld: the loading list (装车单), what to put in the van today.
 *
 * Read from GET /courier/prestock (today): the list ops reviewed, else the suggestion from recent
 * sales, orders for the next run and the day's shake prizes. One big row a product, the number
 * readable at arm's length, the compounds it is for underneath; one big button confirms it as
 * today's van load (POST /courier/prestock/confirm: confirming again gives the same load), after
 * which the van load section shows it for +/- edits. Online only. Loads after vanload.js.
 */
(function () {
  "use strict";

  var X = window.XiaogeHandheld;
  var state = X.state, $ = X.$, h = X.h, api = X.api;
  var plan = {date: null, items: []};

  function say(text, kind) {
    var message = $("prestock-message");
    message.textContent = text;
    message.dataset.kind = kind || "";
  }

  function compoundName(id) {
    var known = (state.courier.compounds || []).filter(function (c) { return String(c.id) === id; })[0];
    return known ? known.name : "#" + id;
  }

  function loadPrestock() {
    if (!state.token || !navigator.onLine) return Promise.resolve();
    return api("GET", "/courier/prestock").then(function (answer) {
      if (answer.status === 401) return X.expire();
      if (answer.status === 200) show(answer.body);
    }, function () { say("无网络 No network: loading list not loaded", "bad"); });
  }

  function show(body) {
    plan.date = body.date;
    plan.items = body.items;
    $("prestock-date").textContent = body.date + (body.reviewed ? " · 已审核 reviewed" : " · 建议 suggested");
    var rows = body.items.map(function (item) {
      var parts = Object.keys(item.by_compound).map(function (id) {
        return compoundName(id) + " " + item.by_compound[id];
      });
      return h("li", {class: "prestock-item", "data-product-id": item.product_id}, [
        h("span", {class: "van-name", text: item.name}),
        h("b", {class: "prestock-quantity", text: String(item.quantity)}),
        h("span", {class: "prestock-compounds", text: parts.join(" · ")})]);
    });
    $("prestock-items").replaceChildren.apply($("prestock-items"), rows.length ? rows :
      [h("li", {class: "note", text: "今天没有建议 Nothing suggested today"})]);
    $("prestock-confirm").disabled = !body.items.length;
  }

  function confirm() {
    $("prestock-confirm").disabled = true;
    say("装车中 Loading…", "wait");
    api("POST", "/courier/prestock/confirm", {date: plan.date}).then(function (answer) {
      if (answer.status === 401) return X.expire();
      if (answer.status === 200) {
        say("已装车 Van loaded ✓ " + answer.body.van_load.items.length + " 种 products", "good");
        return Promise.all([loadPrestock(), X.loadVan()]);
      }
      var error = answer.body.error || {};
      say((error.message || "HTTP " + answer.status), "bad");
    }, function (failure) {
      say(failure.message + "：未装车，请重试 Not loaded, try again", "bad");
    }).finally(function () { $("prestock-confirm").disabled = false; });
  }

  $("prestock-confirm").addEventListener("click", confirm);
  Object.assign(X, {loadPrestock: loadPrestock});
})();
