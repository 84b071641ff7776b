/* Xiaoge H5 store, part 3 of 5: shopping. The catalogue by category and search, a cart,
 * the order (pay at the van, or WeChat Pay: in the demo through the sandbox's pay page),
 * the shopper's orders with their pickup codes, paying and cancelling them, and the wallet.
 *
 * Xiaoge.shop.render(root, {sessionId, payPage}) appends its sections under the storefront.
 */
(function (X) {
  "use strict";

  var h = X.h, yuan = X.yuan;
  var PAGE_SIZE = 20;
  var WATCH_EVERY_MS = 2000, WATCHES = 30;  // an unpaid or refunding order is looked at again for a minute
  var STATUS = {
    reserved: "待取货 · To pick up, pay at the van", pending_payment: "待支付 · To pay",
    paid: "已支付 · Paid, pick up at the van", completed: "已完成 · Picked up",
    cancelled: "已取消 · Cancelled", refunding: "退款中 · Refunding", refunded: "已退款 · Refunded"
  };
  var CANCELLABLE = {reserved: true, pending_payment: true, paid: true};
  X.MESSAGES.out_of_stock = "车上没货了 Not on the van any more";
  X.MESSAGES.not_payable = "这笔订单不能再支付 This order cannot be paid now";
  X.MESSAGES.not_cancellable = "已取货的订单不能取消 A picked-up order cannot be cancelled";
  X.MESSAGES.too_many_open_orders = "待取货的订单太多了 Too many orders waiting for pickup";
  X.MESSAGES.coupon_unusable = "这张券现在用不了 This coupon cannot be used now";
  X.MESSAGES.payment_unavailable = "微信支付暂时不可用，请重试 WeChat Pay is unavailable, try again";

  var ctx = null, cart = {}, shelf = {category: null, q: "", cursor: null};

  function render(root, context) {
    ctx = context;
    cart = {};
    shelf = {category: null, q: "", cursor: null};
    root.insertBefore(catalogueSection(), root.querySelector(".signout"));
    root.insertBefore(ordersSection(), root.querySelector(".signout"));
    root.insertBefore(walletSection(), root.querySelector(".signout"));
    root.appendChild(cartBar());
    loadShelf(true);
    loadOrders();
    loadWallet();
  }

  function head(zh, en) { return h("h2", {className: "section-title"}, [zh + " ", h("span", {text: en})]); }

  /* ---------- the catalogue ---------- */

  function catalogueSection() {
    var search = h("input", {type: "search", id: "shop-search", className: "search",
      attrs: {placeholder: "搜索商品 Search", "aria-label": "搜索商品 Search", maxlength: "60"}});
    var form = h("form", {className: "search-row", onsubmit: function (event) {
      event.preventDefault();
      shelf.q = search.value.trim();
      loadShelf(true);
    }}, [search, h("button", {type: "submit", className: "button small", text: "搜索 Search"})]);
    return h("section", {className: "panel shop", id: "shop"}, [
      head("全部商品", "Shop"), form,
      h("div", {className: "chips categories", id: "shop-categories", attrs: {role: "tablist"}}),
      h("ol", {className: "item-list", id: "shop-items"}),
      h("button", {type: "button", className: "button ghost", id: "shop-more", text: "更多 More", hidden: true,
        onclick: function () { loadShelf(false); }})
    ]);
  }

  function loadShelf(fresh) {
    if (fresh) shelf.cursor = null;
    var query = ["limit=" + PAGE_SIZE];
    if (shelf.category) query.push("category=" + encodeURIComponent(shelf.category));
    if (shelf.q) query.push("q=" + encodeURIComponent(shelf.q));
    if (shelf.cursor) query.push("cursor=" + encodeURIComponent(shelf.cursor));
    var path = "/api/v1/store-sessions/" + ctx.sessionId + "/catalogue?" + query.join("&");
    X.client.request("GET", path).then(function (answer) {
      if (answer.status !== 200) { X.toast(X.errorText(answer.body, answer.status)); return; }
      var list = X.$("shop-items");
      if (fresh) list.textContent = "";
      drawCategories(answer.body.categories);
      answer.body.items.forEach(function (item) { list.appendChild(shelfRow(item)); });
      if (!list.children.length) list.appendChild(h("li", {className: "muted", text: "没有找到 · Nothing found"}));
      shelf.cursor = answer.body.next_cursor;
      X.$("shop-more").hidden = !shelf.cursor;
    }, X.networkFailed);
  }

  function drawCategories(names) {
    var bar = X.$("shop-categories");
    bar.textContent = "";
    [null].concat(names).forEach(function (name) {
      bar.appendChild(h("button", {type: "button", text: name || "全部 All",
        className: "chip" + (name === shelf.category ? " is-on" : ""),
        attrs: {role: "tab", "aria-selected": String(name === shelf.category)},
        onclick: function () { shelf.category = name; loadShelf(true); }}));
    });
  }

  function price(item) {
    return item.deal_price_fen !== null && item.deal_price_fen !== undefined ? item.deal_price_fen : item.price_fen;
  }

  function shelfRow(item) {
    var count = h("b", {className: "qty", text: String(cart[item.product_id] ? cart[item.product_id].quantity : 0)});
    var beyondClearance = h("p", {className: "item-clearance beyond-clearance", hidden: true});
    function change(by) {
      var line = cart[item.product_id] || {item: item, quantity: 0};
      line.quantity = Math.max(0, Math.min(99, line.quantity + by));
      if (line.quantity) cart[item.product_id] = line; else delete cart[item.product_id];
      count.textContent = String(line.quantity);
      markBeyondClearance(item, line.quantity, beyondClearance);
      drawCart();
    }
    var onVan = item.on_van === undefined || item.on_van === null ? null : item.on_van;
    return h("li", {className: "item", attrs: {"data-product-id": String(item.product_id)}}, [
      h("div", {className: "item-body"}, [
        h("p", {className: "item-name", text: item.name}),
        h("p", {className: "item-price"}, [
          h("b", {text: yuan(price(item))}),
          price(item) < item.price_fen ? h("s", {text: yuan(item.price_fen)}) : null,
          onVan !== null ? h("small", {className: "on-van", text: " 车上剩 " + onVan + " · " + onVan + " on the van"}) : null
        ]),
        X.storefront.clearanceNote(item),
        beyondClearance
      ]),
      h("div", {className: "stepper"}, [
        h("button", {type: "button", className: "step", text: "−", attrs: {"aria-label": "减一 One less"},
          onclick: function () { change(-1); }}),
        count,
        h("button", {type: "button", className: "step", text: "+", attrs: {"aria-label": "加一 One more"},
          onclick: function () { change(1); }})
      ])
    ]);
  }

  /** A line of more clearance units than are left is not at the clearance price (the server
   * prices it whole without the clearance): say so beside the stepper. */
  function markBeyondClearance(item, quantity, note) {
    var left = item.kind === "clearance" ? item.clearance_left : null;
    note.hidden = left === null || left === undefined || quantity <= left;
    note.textContent = note.hidden ? "" : "超过剩余 " + left + " 件，不享清仓价 · More than the " + left +
      " left: not at the clearance price";
  }

  /* ---------- the cart and the order ---------- */

  function cartBar() {
    var pay = h("select", {id: "cart-pay", className: "pay-choice", attrs: {"aria-label": "付款方式 Payment"}}, [
      h("option", {value: "at_van", text: "到车付款 Pay at the van"}),
      h("option", {value: "wechat", text: "微信支付 WeChat Pay"})
    ]);
    return h("div", {className: "cart-bar", id: "cart-bar", hidden: true}, [
      h("p", {className: "cart-sum"}, [h("b", {id: "cart-total"}), h("small", {id: "cart-count"})]),
      pay,
      h("button", {type: "button", className: "button primary", id: "cart-order", text: "下单 Order", onclick: placeOrder})
    ]);
  }

  function drawCart() {
    var lines = Object.keys(cart).map(function (id) { return cart[id]; });
    var units = lines.reduce(function (sum, line) { return sum + line.quantity; }, 0);
    var total = lines.reduce(function (sum, line) { return sum + line.quantity * price(line.item); }, 0);
    X.$("cart-bar").hidden = units === 0;
    X.$("cart-total").textContent = yuan(total);
    X.$("cart-count").textContent = " · " + units + " 件 items";
  }

  function placeOrder(event) {
    var button = event.currentTarget;
    var items = Object.keys(cart).map(function (id) { return {product_id: Number(id), quantity: cart[id].quantity}; });
    if (!items.length) return;
    var body = {store_session_id: ctx.sessionId, items: items, pay: X.$("cart-pay").value};
    var key = ctx.pendingKey || (ctx.pendingKey = X.uuid());  // a retry after a network error places it once
    button.disabled = true;
    X.client.request("POST", "/api/v1/orders", body, {"Idempotency-Key": key}).then(function (answer) {
      button.disabled = false;
      if (answer.status !== 201 && answer.status !== 200) { X.toast(X.errorText(answer.body, answer.status)); return; }
      ctx.pendingKey = null;
      cart = {};
      drawCart();
      loadShelf(true);
      var order = answer.body.order;
      X.toast("下单成功 Ordered · 取货码 pickup code " + order.pickup_code, "ok");
      if (order.status === "pending_payment") pay(order.id);
      else loadOrders();
    }, function () { button.disabled = false; X.networkFailed(); });
  }

  /** The wx.requestPayment arguments; outside WeChat only the demo's sandbox pay page can pay. */
  function pay(orderId) {
    X.client.request("POST", "/api/v1/orders/" + orderId + "/payment").then(function (answer) {
      if (answer.status !== 200) { X.toast(X.errorText(answer.body, answer.status)); loadOrders(); return; }
      var prepay = String(answer.body.payment["package"] || "").replace(/^prepay_id=/, "");
      if (!ctx.payPage) { X.toast("请在微信中打开以支付 Open in WeChat to pay"); loadOrders(); return; }
      window.location.href = ctx.payPage + "?prepay_id=" + encodeURIComponent(prepay) +
        "&return=" + encodeURIComponent(window.location.href.split("#")[0]);
    }, X.networkFailed);
  }

  function cancel(orderId, button) {
    if (!window.confirm("取消这笔订单？已支付的会全额退款 Cancel this order? A paid one is refunded in full.")) return;
    button.disabled = true;
    X.client.request("POST", "/api/v1/orders/" + orderId + "/cancel").then(function (answer) {
      if (answer.status !== 200) X.toast(X.errorText(answer.body, answer.status));
      loadOrders();
    }, function () { button.disabled = false; X.networkFailed(); });
  }

  /* ---------- my orders and my wallet ---------- */

  function ordersSection() {
    return h("section", {className: "panel orders", id: "orders"}, [
      head("我的订单", "My orders"),
      h("button", {type: "button", className: "button small ghost refresh", text: "刷新 Refresh", onclick: loadOrders}),
      h("ol", {className: "order-list", id: "order-list"})
    ]);
  }

  var watchTimer = null, watchesLeft = WATCHES;

  function loadOrders() {
    X.client.request("GET", "/api/v1/me/orders?limit=20").then(function (answer) {
      if (answer.status !== 200) return;
      var list = X.$("order-list");
      if (!list) return;
      list.textContent = "";
      answer.body.orders.forEach(function (order) { list.appendChild(orderRow(order)); });
      if (!answer.body.orders.length) list.appendChild(h("li", {className: "muted", text: "还没有订单 · No orders yet"}));
      watchUnsettled(answer.body.orders);
    }, X.networkFailed);
  }

  /** Back from paying, or waiting for a refund: WeChat Pay tells the server, so ask again for a while. */
  function watchUnsettled(orders) {
    clearTimeout(watchTimer);
    var waiting = orders.some(function (o) { return o.status === "pending_payment" || o.status === "refunding"; });
    if (!waiting) { watchesLeft = WATCHES; return; }
    if (watchesLeft-- > 0) watchTimer = setTimeout(loadOrders, WATCH_EVERY_MS);
  }

  function orderRow(order) {
    var actions = h("p", {className: "order-actions"});
    if (order.status === "pending_payment") {
      actions.appendChild(h("button", {type: "button", className: "button small primary", text: "去支付 Pay",
        onclick: function () { pay(order.id); }}));
    }
    if (CANCELLABLE[order.status]) {
      actions.appendChild(h("button", {type: "button", className: "button small ghost", text: "取消 Cancel",
        onclick: function (event) { cancel(order.id, event.currentTarget); }}));
    }
    var lines = (order.items || []).map(function (line) {
      return (line.name || ("#" + line.product_id)) + " × " + line.quantity +
        (line.next_run ? "（下一趟送到 next run）" : "");
    }).join("，");
    return h("li", {className: "order is-" + order.status, attrs: {"data-order-id": String(order.id), "data-status": order.status}}, [
      h("p", {className: "order-head"}, [
        h("b", {text: "取货码 " + order.pickup_code}), h("span", {className: "order-status", text: STATUS[order.status] || order.status})
      ]),
      h("p", {className: "order-lines", text: lines}),
      h("p", {className: "order-total", text: yuan(order.total_fen)}),
      actions
    ]);
  }

  function walletSection() {
    return h("section", {className: "panel wallet", id: "wallet"}, [head("卡包", "Wallet"), h("ul", {className: "wallet-list", id: "wallet-list"})]);
  }

  function loadWallet() {
    X.client.request("GET", "/api/v1/me/coupons").then(function (answer) {
      if (answer.status !== 200) return;
      var list = X.$("wallet-list");
      list.textContent = "";
      answer.body.coupons.forEach(function (coupon) {
        list.appendChild(h("li", {className: "wallet-coupon is-" + coupon.status}, [
          h("b", {text: yuan(coupon.discount_fen)}), " " + coupon.title,
          h("small", {text: coupon.status === "unused" ? " · 可用 unused" : " · 已用 used"})
        ]));
      });
      if (!answer.body.coupons.length) list.appendChild(h("li", {className: "muted", text: "卡包是空的 · No coupons yet"}));
    }, X.networkFailed);
  }

  X.shop = {render: render, loadOrders: loadOrders, pay: pay};
})(window.Xiaoge = window.Xiaoge || {});
