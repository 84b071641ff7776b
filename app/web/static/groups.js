/* Xiaoge H5 store: group deals (凑单), drawn in the storefront, joined here, updated live.
 *
 * Xiaoge.groups.section(deals) draws the storefront's `group_deals` as cards with a progress
 * bar and a join button (pay at the van); progress(data) applies a `/shopper` `group_progress`
 * push to its card; a share link `/s/<courier_code>?group=<id>` scrolls to that deal's card
 * (fetching it with GET /api/v1/group-deals/<id> when the storefront does not list it).
 */
(function (X) {
  "use strict";

  var h = X.h, yuan = X.yuan;
  var STATUS = {open: "拼团中 Open", succeeded: "已成团 Group on", failed: "未成团 Not reached"};
  X.MESSAGES.group_full = "已满员 This group is full";
  X.MESSAGES.group_closed = "拼团已结束 This group has closed";
  X.MESSAGES.already_joined = "你已参团 You have joined already";

  var cards = {};  // group deal id -> {deal, refresh()}

  function sharedGroupId() {
    var id = parseInt(new URLSearchParams(window.location.search).get("group"), 10);
    return id > 0 ? id : null;
  }

  function section(deals) {
    cards = {};
    var root = h("section", {className: "panel groups", id: "group-deals"}, [
      h("h2", {className: "section-title"}, ["拼团 ", h("span", {text: "Group deals with your neighbours"})])
    ]);
    if (!deals.length) root.appendChild(h("p", {className: "muted", text: "暂无拼团 · No group deals right now"}));
    deals.forEach(function (deal) { root.appendChild(card(deal)); });
    var shared = sharedGroupId();
    if (shared) setTimeout(function () { focus(root, shared); }, 0);
    return root;
  }

  function focus(root, id) {
    if (cards[id]) { cards[id].el.classList.add("shared"); cards[id].el.scrollIntoView({block: "center"}); return; }
    X.client.request("GET", "/api/v1/group-deals/" + id).then(function (answer) {
      if (answer.status !== 200 || cards[id]) return;
      var el = card(answer.body.group_deal);
      el.classList.add("shared");
      var muted = root.querySelector("p.muted");
      if (muted) muted.remove();
      root.insertBefore(el, root.children[1] || null);
      el.scrollIntoView({block: "center"});
    }, function () {});
  }

  function card(deal) {
    var bar = h("div", {className: "group-bar-fill"});
    var count = h("span", {className: "group-count"});
    var status = h("span", {className: "group-status"});
    var note = h("p", {className: "group-note", attrs: {"aria-live": "polite"}});
    var button = h("button", {type: "button", className: "button join", text: "参团 Join"});  // pay at the van
    var payButton = h("button", {type: "button", className: "button secondary join-wechat",
                                 text: "微信支付 WeChat Pay"});  // join and pay now (shop.js's pay)
    var el = h("div", {className: "group", attrs: {"data-group-id": String(deal.id)}}, [
      h("p", {className: "group-name", text: deal.product.name}),
      h("p", {className: "item-price"}, [h("b", {text: yuan(deal.group_price_fen)}),
                                          h("s", {text: yuan(deal.product.price_fen)})]),
      h("div", {className: "group-bar", attrs: {role: "progressbar", "aria-valuemin": "0",
                                                "aria-valuemax": String(deal.min_households)}}, [bar]),
      h("p", {className: "group-meta"}, [count, " · ", status]),
      h("p", {className: "group-actions"}, [button, " ", payButton]),
      note
    ]);
    var entry = cards[deal.id] = {el: el, deal: deal, joined: false, key: null};
    entry.refresh = function () {
      var d = entry.deal, share = d.joined / Math.max(d.min_households, 1);
      if (d.min_amount_fen) share = Math.max(share, (d.joined_fen || 0) / d.min_amount_fen);  // whichever is nearer
      var pct = Math.min(100, Math.round(100 * share));
      bar.style.width = pct + "%";
      el.querySelector(".group-bar").setAttribute("aria-valuenow", String(d.joined));
      count.textContent = "已拼 " + d.joined + "/" + d.min_households + " 户 · " + d.joined + " of " +
        d.min_households + " households" + (d.max_households ? " (≤ " + d.max_households + ")" : "") +
        (d.min_amount_fen ? " · 或满 " + yuan(d.min_amount_fen) + " or " + yuan(d.min_amount_fen) + " (" +
                            yuan(d.joined_fen || 0) + ")" : "");
      status.textContent = STATUS[d.status] || d.status;
      var full = d.max_households && d.joined >= d.max_households;
      button.disabled = entry.joined || d.status === "failed" || !!full;
      button.textContent = entry.joined ? "已参团 Joined" : full ? "已满员 Full" : "参团 Join";
      payButton.disabled = button.disabled;
      payButton.hidden = entry.joined || !(X.shop && X.shop.pay);
    };
    button.addEventListener("click", function () { join(entry, note, "at_van"); });
    payButton.addEventListener("click", function () { join(entry, note, "wechat"); });
    entry.refresh();
    return el;
  }

  /** Join with one unit, paid at the van or by WeChat Pay now (then on to the pay step, as an order). */
  function join(entry, note, pay) {
    var key = entry.key || (entry.key = X.uuid());  // a retry after a network error joins once
    entry.el.querySelector("button.join").disabled = true;
    X.client.request("POST", "/api/v1/group-deals/" + entry.deal.id + "/joins", {quantity: 1, pay: pay},
                     {"Idempotency-Key": key}).then(function (answer) {
      entry.key = null;
      if (answer.status === 201 || answer.status === 200) {
        entry.joined = true;
        entry.deal = answer.body.group_deal;
        note.className = "group-note ok";
        note.textContent = "已参团，取货码 " + answer.body.join.order.pickup_code + " · Joined: pickup code " +
          answer.body.join.order.pickup_code;
        if (answer.body.join.order.status === "pending_payment") X.shop.pay(answer.body.join.order.id);
      } else {
        if (answer.body && answer.body.error && answer.body.error.code === "already_joined") entry.joined = true;
        note.className = "group-note error";
        note.textContent = X.errorText(answer.body, answer.status);
      }
      entry.refresh();
    }, function () { entry.refresh(); X.networkFailed(); });
  }

  /** `group_progress` {group_deal_id, joined, joined_fen, status}: the card follows without a reload. */
  function progress(data) {
    var entry = cards[data.group_deal_id];
    if (!entry) return;
    entry.deal.joined = data.joined;
    entry.deal.joined_fen = data.joined_fen;
    entry.deal.status = data.status;
    entry.refresh();
  }

  X.groups = {section: section, progress: progress};
})(window.Xiaoge = window.Xiaoge || {});
