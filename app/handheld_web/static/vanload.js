/* Xiaoge courier handheld, part 3 of 5: the van load (装车), what today's van carries.
 *
 * Read from GET /courier/van-load, edited with big +/- buttons (usable with gloves), saved
 * whole with PUT /courier/van-load (the same list again changes nothing, so a resend is
 * safe). A quantity never goes below what orders and rounds already reserve; the server
 * refuses that too (409 below_reserved, naming the product). Online only: nothing is queued.
 * Uses the basics outbox.js put in window.XiaogeHandheld; handheld.js loads after.
 */
(function () {
  "use strict";

  var X = window.XiaogeHandheld;
  var state = X.state, $ = X.$, h = X.h, api = X.api;
  var van = {date: null, items: [], dirty: false};

  function say(text, kind) {
    var message = $("van-message");
    message.textContent = text;
    message.dataset.kind = kind || "";
  }

  function loadVan() {
    if (!state.token || !navigator.onLine || van.dirty) return Promise.resolve();  // unsaved edits stay
    return api("GET", "/courier/van-load").then(function (answer) {
      if (answer.status === 401) return X.expire();
      if (answer.status !== 200) return;
      show(answer.body.van_load);
    }, function () { say("无网络 No network: van load not loaded", "bad"); });
  }

  function show(load) {
    van.date = load.date;
    van.items = load.items.map(function (i) { return Object.assign({}, i); });
    van.dirty = false;
    renderVan();
  }

  function step(item, delta) {
    var next = item.quantity + delta;
    if (next < item.reserved) return say(item.name + "：已预订 " + item.reserved + "，不能更少 " +
                                         item.reserved + " reserved: cannot go lower", "bad");
    item.quantity = next;
    van.dirty = true;
    say("未保存 Not saved yet", "wait");
    renderVan();
  }

  function renderVan() {
    $("van-date").textContent = van.date || "";
    var rows = van.items.map(function (item) {
      return h("li", {class: "van-item", "data-product-id": item.product_id}, [
        h("span", {class: "van-name", text: item.name || "#" + item.product_id}),
        h("button", {type: "button", class: "big step", text: "−", "aria-label": "减一 One fewer " + item.name,
                     onclick: function () { step(item, -1); }}),
        h("b", {class: "van-quantity", text: String(item.quantity)}),
        h("button", {type: "button", class: "big step", text: "+", "aria-label": "加一 One more " + item.name,
                     onclick: function () { step(item, 1); }}),
        h("span", {class: "van-reserved", text: "已订 " + item.reserved + " reserved"})]);
    });
    $("van-items").replaceChildren.apply($("van-items"), rows.length ? rows :
      [h("li", {class: "note", text: "还没装车 Nothing loaded yet"})]);
  }

  function addProduct(event) {
    event.preventDefault();
    var field = $("van-add-id"), id = Number(field.value.trim());
    if (!Number.isInteger(id) || id < 1) return say("请输入商品编号 Enter a product number", "bad");
    var known = van.items.filter(function (i) { return i.product_id === id; })[0];
    if (known) step(known, 1);
    else {
      van.items.push({product_id: id, name: "#" + id, quantity: 1, reserved: 0});
      van.dirty = true;
      say("未保存 Not saved yet", "wait");
      renderVan();
    }
    field.value = "";
  }

  function save() {
    var body = {items: van.items.map(function (i) { return {product_id: i.product_id, quantity: i.quantity}; })};
    $("van-save").disabled = true;
    say("保存中 Saving…", "wait");
    api("PUT", "/courier/van-load", body).then(function (answer) {
      if (answer.status === 401) return X.expire();
      if (answer.status === 200) { show(answer.body.van_load); return say("已保存 Saved ✓", "good"); }
      var error = answer.body.error || {};
      var fields = error.fields ? " " + Object.values(error.fields).join("; ") : "";
      say((error.message || "HTTP " + answer.status) + fields, "bad");
    }, function (failure) {
      say(failure.message + "：未保存，请重试 Not saved, try again", "bad");
    }).finally(function () { $("van-save").disabled = false; });
  }

  $("van-add").addEventListener("submit", addProduct);
  $("van-save").addEventListener("click", save);
  Object.assign(X, {loadVan: loadVan});
})();
