/* Xiaoge H5 store, part 2 of 5: the storefront as the compound sees it.
 *
 * Xiaoge.storefront.render(root, front, actions) draws GET /storefront's answer: the
 * compound bar with live counters, coupons to claim, hot items, staff exclusives (内购)
 * and the discount ranking, each item with who views it now and who bought it today
 * (setItems keeps those live). Coupon claims happen here; the rest is store.js's.
 */
(function (X) {
  "use strict";

  var h = X.h, yuan = X.yuan;

  /** actions: {changeCompound(), signOut(), view(product_id, row): a tap on an item} */
  function render(root, front, actions) {
    root.textContent = "";
    root.appendChild(storeBar(front, actions));
    root.appendChild(couponSection(front.coupons || []));
    if (X.groups) root.appendChild(X.groups.section(front.group_deals || []));  // groups.js
    root.appendChild(itemSection("hot", "热销", "Popular in " + front.compound.name, front.hot_items, false, actions));
    root.appendChild(itemSection("staff", "内购", "Staff prices", front.staff_exclusives, false, actions));
    root.appendChild(itemSection("ranking", "折扣榜", "Biggest discounts", front.discount_ranking, true, actions));
    root.appendChild(h("p", {className: "signout"}, [
      h("button", {type: "button", className: "button small ghost", text: "退出 Sign out",
        onclick: actions.signOut})
    ]));
  }

  function storeBar(front, actions) {
    return h("section", {className: "panel storebar"}, [
      h("div", {className: "storebar-row"}, [
        h("p", {className: "storebar-compound"}, [
          h("small", {}, ["小区 Compound", h("span", {className: "realtime", id: "realtime"})]),
          h("b", {id: "store-compound", text: front.compound.name})
        ]),
        h("button", {type: "button", className: "button small ghost", id: "change-compound",
          text: "换小区 Change", onclick: actions.changeCompound})
      ]),
      h("p", {className: "live", id: "live"}, [
        h("span", {}, [h("b", {id: "live-watching", text: String(front.live.watching)}), " 人在看 watching"]),
        h("span", {}, [h("b", {id: "live-buying", text: String(front.live.buying)}), " 人已买 bought"])
      ]),
      // Shown by shake.js while a round is open and its panel is put away.
      h("button", {type: "button", className: "shake-pill", id: "shake-pill", hidden: true},
        ["摇一摇进行中 Shake is on · ", h("span", {id: "shake-pill-time", text: ""})])
    ]);
  }

  function setLive(watching, buying) {
    var w = X.$("live-watching"), b = X.$("live-buying");
    if (w) w.textContent = String(watching);
    if (b) b.textContent = String(buying);
  }

  function sectionHead(zh, en) {
    return h("h2", {className: "section-title"}, [zh + " ", h("span", {text: en})]);
  }

  /* ---------- coupons ---------- */

  function couponSection(coupons) {
    var section = h("section", {className: "panel coupons", id: "coupons"}, [sectionHead("领券", "Coupons")]);
    if (!coupons.length) section.appendChild(h("p", {className: "muted", text: "暂无可领的券 · No coupons right now"}));
    coupons.forEach(function (coupon) { section.appendChild(couponCard(coupon)); });
    return section;
  }

  function couponHeld(coupon) {
    var held = coupon.claimed_count !== undefined ? coupon.claimed_count : (coupon.claimed ? 1 : 0);
    var limit = coupon.per_shopper_limit !== undefined ? coupon.per_shopper_limit : 1;
    return {held: held, full: held >= limit};
  }

  function couponCard(coupon) {
    var status = h("p", {className: "coupon-status", attrs: {"aria-live": "polite"}});
    var button = h("button", {type: "button", className: "button claim"});
    var remaining = h("span", {className: "coupon-remaining"});
    function refresh() {
      var mine = couponHeld(coupon);
      remaining.textContent = "剩 " + coupon.remaining + " 张 · " + coupon.remaining + " left";
      if (mine.full) { button.textContent = "已领取 Claimed"; button.disabled = true; }
      else if (coupon.remaining <= 0) { button.textContent = "已抢光 Sold out"; button.disabled = true; }
      else { button.textContent = mine.held ? "再领一张 Claim again" : "领取 Claim"; button.disabled = false; }
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "";
      X.client.request("POST", "/api/v1/coupons/" + coupon.id + "/claims").then(function (answer) {
        showClaim(coupon, status, answer);
        refresh();
      }, function () { refresh(); X.networkFailed(); });
    });
    refresh();
    return h("div", {className: "coupon", attrs: {"data-coupon-id": String(coupon.id)}}, [
      h("div", {className: "coupon-value"}, [
        h("b", {text: yuan(coupon.discount_fen)}),
        h("small", {text: coupon.threshold_fen > 0 ? "满" + yuan(coupon.threshold_fen) + "可用" : "无门槛 No minimum"})
      ]),
      h("div", {className: "coupon-body"}, [
        h("p", {className: "coupon-title", text: coupon.title}),
        h("p", {className: "coupon-meta"}, [
          coupon.threshold_fen > 0 ? "Spend " + yuan(coupon.threshold_fen) + "+ · " : "", remaining
        ])
      ]),
      button,
      status
    ]);
  }

  /** A claim's answer: the wallet has it, or why not (sold_out, limit_reached, not_in_compound...). */
  function showClaim(coupon, status, answer) {
    if (answer.status === 201) {
      coupon.claimed = true;
      coupon.claimed_count = couponHeld(coupon).held + 1;
      coupon.remaining = Math.max(coupon.remaining - 1, 0);
      status.className = "coupon-status ok";
      status.textContent = "领取成功，已放入卡包 Claimed: it is in your wallet";
      return;
    }
    var code = answer.body && answer.body.error && answer.body.error.code;
    if (code === "sold_out") coupon.remaining = 0;
    if (code === "limit_reached") coupon.claimed_count = coupon.per_shopper_limit || 1;
    status.className = "coupon-status error";
    status.textContent = X.errorText(answer.body, answer.status);
  }

  /* ---------- items ---------- */

  function itemSection(id, zh, en, items, ranked, actions) {
    var section = h("section", {className: "panel items", id: "items-" + id}, [sectionHead(zh, en)]);
    if (!items || !items.length) {
      section.appendChild(h("p", {className: "muted", text: "暂无 · Nothing yet"}));
      return section;
    }
    var list = h("ol", {className: ranked ? "item-list ranked" : "item-list"});
    items.forEach(function (item, index) { list.appendChild(itemRow(item, ranked ? index + 1 : null, actions)); });
    section.appendChild(list);
    return section;
  }

  function safeImage(url) {
    return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
  }

  function itemRow(item, rank, actions) {
    var image = safeImage(item.image_url);
    var pay = item.deal_price_fen !== null && item.deal_price_fen !== undefined ? item.deal_price_fen : item.price_fen;
    var discounted = pay < item.price_fen;
    var row = h("li", {className: "item"}, [
      rank ? h("span", {className: "rank", text: String(rank)}) : null,
      image ? h("img", {className: "thumb", src: image, alt: "", attrs: {referrerpolicy: "no-referrer", loading: "lazy"}})
            : h("span", {className: "thumb thumb-initial", text: (item.name || "?").slice(0, 1), attrs: {"aria-hidden": "true"}}),
      h("div", {className: "item-body"}, [
        h("p", {className: "item-name", text: item.name}),
        h("p", {className: "item-price"}, [
          h("b", {text: yuan(pay)}),
          discounted ? h("s", {text: yuan(item.price_fen)}) : null,
          discounted && item.discount_pct ? h("span", {className: "badge", text: "-" + item.discount_pct + "%"}) : null
        ]),
        figuresLine(item.watching, item.bought_today)
      ])
    ]);
    row.setAttribute("data-product-id", String(item.product_id));
    row.addEventListener("click", function () { if (actions.view) actions.view(item.product_id, row); });
    return row;
  }

  /** "N watching · N bought today" under an item: updated in place by setItems. */
  function figuresLine(watching, bought) {
    var parts = [];
    if (watching) parts.push(watching + " 人在看 · " + watching + " watching now");
    if (bought) parts.push("今天 " + bought + " 位邻居买了 · " + bought + " neighbours bought it today");
    return h("p", {className: "item-bought", text: parts.join(" · "), hidden: !parts.length});
  }

  /** `live` items {"<product_id>": {watching, bought_today}}: every row of those products, here and in the catalogue. */
  function setItems(items) {
    Object.keys(items || {}).forEach(function (id) {
      var rows = document.querySelectorAll('li.item[data-product-id="' + id + '"] .item-body');
      Array.prototype.forEach.call(rows, function (body) {
        var old = body.querySelector(".item-bought");
        var line = figuresLine(items[id].watching, items[id].bought_today);
        if (old) body.replaceChild(line, old); else body.appendChild(line);
      });
    });
  }

  X.storefront = {render: render, setLive: setLive, setItems: setItems};
})(window.Xiaoge = window.Xiaoge || {});
