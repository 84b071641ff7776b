/* Xiaoge H5 store: plain JS, no framework, no build step.
 *
 * The server renders the courier and the route; this script adds the shopping: a shopper
 * token (demo login outside WeChat), a store session, the storefront, coupon claims, and
 * the live /shopper socket (counters, the van's arrival, the shake). Everything the API
 * sends is put on the page with textContent, never as HTML.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "xiaoge.shopper.token";
  var SHAKE_ACK_TIMEOUT_MS = 8000;
  var MESSAGES = {
    sold_out: "已抢光 Sold out",
    limit_reached: "已达领取上限 You already have as many as allowed",
    not_in_compound: "仅限本小区居民 Only for residents of this compound",
    compound_required: "请选择你的小区 Choose your compound",
    unknown_courier: "找不到这位小哥 Courier not found",
    not_found: "找不到 Not found",
    unauthorized: "登录已过期，请重新登录 Please sign in again",
    round_closed: "本轮已结束 This round is over",
    round_not_open: "本轮还没开始 This round has not opened yet",
    shake_limit_reached: "摇一摇次数用完了 No shakes left in this round",
    invalid_request: "请求有误 The request is not valid",
    wechat_unavailable: "微信暂时不可用，请重试 WeChat is unavailable, try again",
    rate_limited: "太快了，请稍后再试 Too fast, try again shortly",
    unavailable: "服务繁忙，请重试 The service is busy, try again",
    internal_error: "服务器出错了 Something went wrong on our side",
    network: "网络出错，请重试 Network error, try again",
    timeout: "网络超时，请重试 The network timed out, try again"
  };

  /* ---------- small helpers ---------- */

  function $(id) { return document.getElementById(id); }

  /** h("p", {className: "x", text: "y", onclick: fn, attrs: {...}}, [children]) */
  function h(tag, props, children) {
    var el = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (key === "text") el.textContent = value;
      else if (key === "className") el.className = value;
      else if (key === "attrs") Object.keys(value).forEach(function (a) { el.setAttribute(a, value[a]); });
      else if (key.indexOf("on") === 0) el.addEventListener(key.slice(2), value);
      else el[key] = value;
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function yuan(fen) {
    var text = (fen / 100).toFixed(2);
    return "¥" + text.replace(/\.00$/, "").replace(/(\.\d)0$/, "$1");
  }

  function parseTime(text) {
    // RFC 3339 with microseconds: keep milliseconds, which every Date.parse accepts.
    return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
  }

  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    // randomUUID needs a secure context; getRandomValues works on plain http too.
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  var storage = {
    get: function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  };

  /** The words for an API error body (or a network failure), Chinese then English. */
  function errorText(body, status) {
    var error = body && body.error;
    if (!error) return status ? "出错了 Error (HTTP " + status + ")" : MESSAGES.network;
    var known = MESSAGES[error.code];
    if (error.code === "invalid_request" && error.fields) {
      var why = Object.keys(error.fields).map(function (f) { return f + ": " + error.fields[f]; }).join("; ");
      return known + " (" + why + ")";
    }
    return known || "出错了 Error: " + (error.message || error.code) + " (" + error.code + ")";
  }

  /* ---------- the copy-link button (works for every visitor) ---------- */

  function enableCopyLink() {
    var button = $("copy-link");
    if (!button) return;
    button.addEventListener("click", function () {
      var link = button.getAttribute("data-link");
      var done = function () { button.textContent = "已复制 Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents($("store-link"));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { if (document.execCommand("copy")) done(); } catch (e) { /* nothing to do */ }
      }
    });
  }

  enableCopyLink();
  var root = $("xiaoge-store");
  if (!root || !window.fetch || !window.Promise) return;

  var courierCode = root.getAttribute("data-courier-code");
  var demo = root.getAttribute("data-demo") === "1";
  var SESSION_KEY = "xiaoge.store-session." + courierCode;
  var state = {
    token: storage.get(TOKEN_KEY),
    sessionId: null,
    front: null,
    socket: null,
    clockSkewMs: 0,
    round: null,
    realtime: "offline"
  };

  /* ---------- HTTP ---------- */

  /** fetch JSON; resolves {status, body} for every HTTP answer, rejects only without one. */
  function api(method, path, body) {
    var headers = {"Accept": "application/json"};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method, headers: headers, credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      noteServerClock(response);
      return response.json().catch(function () { return null; }).then(function (json) {
        if (response.status === 401 && state.token) signOut(errorText(json, 401));
        return {status: response.status, body: json};
      });
    });
  }

  function noteServerClock(response) {
    var date = Date.parse(response.headers.get("Date") || "");
    if (isNaN(date)) return;
    var skew = date - Date.now();
    // The header has whole seconds: only a clearly wrong phone clock is corrected.
    state.clockSkewMs = Math.abs(skew) > 2000 ? skew : 0;
  }

  function serverNow() { return Date.now() + state.clockSkewMs; }

  /* ---------- toast ---------- */

  var toastTimer = null;
  function toast(text, kind) {
    var box = $("toast");
    box.textContent = "";
    box.className = "toast " + (kind || "error");
    box.appendChild(h("span", {text: text}));
    box.appendChild(h("button", {type: "button", className: "toast-close", text: "×",
      attrs: {"aria-label": "关闭 Close"}, onclick: function () { box.hidden = true; }}));
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 8000);
  }

  function failed() {
    toast(MESSAGES.network);
  }

  /* ---------- signing in ---------- */

  function showSignedOut() {
    root.textContent = "";
    var box = $("demo-login-box");
    if (box) box.hidden = !demo;
    $("cta").hidden = false;
    resetRoute();
  }

  function demoLogin(event) {
    var button = event.currentTarget;
    button.disabled = true;
    button.textContent = "登录中… Signing in…";
    api("POST", "/s/" + encodeURIComponent(courierCode) + "/demo-login").then(function (answer) {
      button.disabled = false;
      button.textContent = "体验登录 Try as a demo shopper";
      if (answer.status !== 200) { toast(errorText(answer.body, answer.status)); return; }
      state.token = answer.body.token;
      storage.set(TOKEN_KEY, state.token);
      enterStore();
    }, function () {
      button.disabled = false;
      button.textContent = "体验登录 Try as a demo shopper";
      failed();
    });
  }

  function signOut(reason) {
    state.token = null;
    state.sessionId = null;
    state.front = null;
    storage.remove(TOKEN_KEY);
    storage.remove(SESSION_KEY);
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    setRealtime("offline");
    closeShake(null);
    showSignedOut();
    if (reason) toast(reason);
  }

  /* ---------- choosing the compound, opening the store ---------- */

  function enterStore() {
    var box = $("demo-login-box");
    if (box) box.hidden = true;
    $("cta").hidden = true;
    var saved = parseInt(storage.get(SESSION_KEY), 10);
    if (saved > 0) loadStorefront(saved, true);
    else openSession(null);
  }

  /** POST /store-sessions; without a compound the server tries the default address. */
  function openSession(compoundId) {
    var body = {courier_code: courierCode};
    if (compoundId) body.compound_id = compoundId;
    api("POST", "/api/v1/store-sessions", body).then(function (answer) {
      if (answer.status === 201) {
        storage.set(SESSION_KEY, String(answer.body.session.id));
        loadStorefront(answer.body.session.id, false);
      } else if (answer.body && answer.body.error && answer.body.error.code === "compound_required") {
        showChooser(answer.body.error.candidates || []);
      } else if (state.token) {
        toast(errorText(answer.body, answer.status));
      }
    }, failed);
  }

  function routeChoices() {
    var chips = document.querySelectorAll("#route-chips li[data-compound-id]");
    return Array.prototype.map.call(chips, function (li) {
      return {id: parseInt(li.getAttribute("data-compound-id"), 10), name: li.textContent};
    });
  }

  /** The route section becomes the chooser: one big button per compound. */
  function showChooser(candidates) {
    var section = $("route");
    var title = $("route-title");
    section.hidden = false;
    section.classList.add("choosing");
    title.textContent = "选择你的小区 ";
    title.appendChild(h("span", {text: "Choose your compound"}));
    var list = $("route-chips") || h("ul", {className: "chips", id: "route-chips"});
    if (!list.parentNode) section.appendChild(list);
    if (!candidates.length) candidates = routeChoices();
    list.textContent = "";
    candidates.forEach(function (c) {
      list.appendChild(h("li", {attrs: {"data-compound-id": String(c.id)}}, [
        h("button", {type: "button", className: "chip", text: c.name,
          onclick: function () { openSession(c.id); }})
      ]));
    });
    if (!candidates.length && !section.querySelector(".muted")) {
      section.appendChild(h("p", {className: "muted", text: "暂无配送小区 · No compounds yet"}));
    }
    section.scrollIntoView({block: "nearest"});
  }

  function resetRoute() {
    var section = $("route");
    section.hidden = false;
    section.classList.remove("choosing");
    var title = $("route-title");
    title.textContent = "配送小区 ";
    title.appendChild(h("span", {text: "Compounds on the route"}));
    var list = $("route-chips");
    if (!list) return;
    var names = Array.prototype.map.call(list.querySelectorAll("li"), function (li) {
      return {id: li.getAttribute("data-compound-id"), name: li.textContent};
    });
    list.textContent = "";
    names.forEach(function (c) { list.appendChild(h("li", {text: c.name, attrs: {"data-compound-id": c.id}})); });
  }

  /** GET the storefront; a saved session that is gone (or not ours) starts a new one. */
  function loadStorefront(sessionId, fromStorage) {
    return api("GET", "/api/v1/store-sessions/" + sessionId + "/storefront").then(function (answer) {
      if (answer.status === 200) {
        var firstTime = state.sessionId !== sessionId;
        if (state.front && state.front.compound.id !== answer.body.compound.id) closeShake(null);
        state.sessionId = sessionId;
        state.front = answer.body;
        resetRoute();
        $("route").hidden = true;
        renderStorefront();
        connectSocket(firstTime);
        syncShake(answer.body.shake);
      } else if (fromStorage && answer.status === 404) {
        storage.remove(SESSION_KEY);
        openSession(null);
      } else if (state.token) {
        toast(errorText(answer.body, answer.status));
      }
    }, failed);
  }

  /* ---------- rendering the storefront ---------- */

  function renderStorefront() {
    var front = state.front;
    root.textContent = "";
    root.appendChild(h("section", {className: "panel storebar"}, [
      h("div", {className: "storebar-row"}, [
        h("p", {className: "storebar-compound"}, [
          h("small", {}, ["小区 Compound", h("span", {className: "realtime", id: "realtime"})]),
          h("b", {id: "store-compound", text: front.compound.name})
        ]),
        h("button", {type: "button", className: "button small ghost", id: "change-compound",
          text: "换小区 Change", onclick: function () { showChooser(routeChoices()); }})
      ]),
      h("p", {className: "live", id: "live"}, [
        h("span", {}, [h("b", {id: "live-watching", text: String(front.live.watching)}), " 人在看 watching"]),
        h("span", {}, [h("b", {id: "live-buying", text: String(front.live.buying)}), " 人已买 bought"])
      ]),
      h("button", {type: "button", className: "shake-pill", id: "shake-pill", hidden: true,
        onclick: function () { $("shake-panel").hidden = false; }},
        ["摇一摇进行中 Shake is on · ", h("span", {id: "shake-pill-time", text: ""})])
    ]));
    root.appendChild(couponSection(front.coupons || []));
    root.appendChild(itemSection("hot", "热销", "Popular in " + front.compound.name, front.hot_items, false));
    root.appendChild(itemSection("staff", "内购", "Staff prices", front.staff_exclusives, false));
    root.appendChild(itemSection("ranking", "折扣榜", "Biggest discounts", front.discount_ranking, true));
    root.appendChild(h("p", {className: "signout"}, [
      h("button", {type: "button", className: "button small ghost", text: "退出 Sign out",
        onclick: function () { signOut(null); }})
    ]));
    updateShakePill();
    setRealtime(state.realtime);
  }

  var REALTIME_LABELS = {live: "实时 Live", connecting: "连接中 Connecting", offline: "离线 Offline"};

  /** Whether the page hears the compound now; `data-realtime` on the store says so too. */
  function setRealtime(status) {
    state.realtime = status;
    root.setAttribute("data-realtime", status);
    var badge = $("realtime");
    if (!badge) return;
    badge.className = "realtime is-" + status;
    badge.textContent = REALTIME_LABELS[status];
  }

  function sectionHead(zh, en) {
    return h("h2", {className: "section-title"}, [zh + " ", h("span", {text: en})]);
  }

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
      api("POST", "/api/v1/coupons/" + coupon.id + "/claims").then(function (answer) {
        if (answer.status === 201) {
          coupon.claimed = true;
          coupon.claimed_count = couponHeld(coupon).held + 1;
          coupon.remaining = Math.max(coupon.remaining - 1, 0);
          status.className = "coupon-status ok";
          status.textContent = "领取成功，已放入卡包 Claimed: it is in your wallet";
        } else {
          var code = answer.body && answer.body.error && answer.body.error.code;
          if (code === "sold_out") coupon.remaining = 0;
          if (code === "limit_reached") coupon.claimed_count = coupon.per_shopper_limit || 1;
          status.className = "coupon-status error";
          status.textContent = errorText(answer.body, answer.status);
        }
        refresh();
      }, function () { refresh(); failed(); });
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

  function itemSection(id, zh, en, items, ranked) {
    var section = h("section", {className: "panel items", id: "items-" + id}, [sectionHead(zh, en)]);
    if (!items || !items.length) {
      section.appendChild(h("p", {className: "muted", text: "暂无 · Nothing yet"}));
      return section;
    }
    var list = h("ol", {className: ranked ? "item-list ranked" : "item-list"});
    items.forEach(function (item, index) { list.appendChild(itemRow(item, ranked ? index + 1 : null)); });
    section.appendChild(list);
    return section;
  }

  function safeImage(url) {
    return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
  }

  function itemRow(item, rank) {
    var image = safeImage(item.image_url);
    var pay = item.deal_price_fen !== null && item.deal_price_fen !== undefined ? item.deal_price_fen : item.price_fen;
    var discounted = pay < item.price_fen;
    return h("li", {className: "item"}, [
      rank ? h("span", {className: "rank", text: String(rank)}) : null,
      image ? h("img", {className: "thumb", src: image, alt: "", attrs: {referrerpolicy: "no-referrer", loading: "lazy"}})
            : h("span", {className: "thumb thumb-initial", text: (item.name || "?").slice(0, 1), attrs: {"aria-hidden": "true"}}),
      h("div", {className: "item-body"}, [
        h("p", {className: "item-name", text: item.name}),
        h("p", {className: "item-price"}, [
          h("b", {text: yuan(pay)}),
          discounted ? h("s", {text: yuan(item.price_fen)}) : null,
          discounted && item.discount_pct ? h("span", {className: "badge", text: "-" + item.discount_pct + "%"}) : null
        ])
      ])
    ]);
  }

  function setLive(watching, buying) {
    if (!state.front) return;
    state.front.live = {watching: watching, buying: buying};
    var w = $("live-watching"), b = $("live-buying");
    if (w) w.textContent = String(watching);
    if (b) b.textContent = String(buying);
  }

  /* ---------- real time ---------- */

  function connectSocket(storeChanged) {
    if (typeof window.io !== "function") {
      setRealtime("offline");
      toast("实时功能不可用 Live updates are unavailable");
      return;
    }
    if (state.socket) {
      if (storeChanged && state.socket.connected) enterStoreRoom();
      return;
    }
    var socket = state.socket = window.io("/shopper", {transports: ["websocket"], auth: {token: state.token}});
    var connectedBefore = false;
    setRealtime("connecting");
    socket.on("disconnect", function () { if (state.socket === socket) setRealtime("connecting"); });
    socket.on("connect", function () {
      if (state.socket !== socket) return;
      enterStoreRoom();
      // Back after a drop: catch up on what was missed (a round opened or closed meanwhile).
      if (connectedBefore && state.sessionId) loadStorefront(state.sessionId, false);
      connectedBefore = true;
    });
    socket.on("connect_error", function (error) {
      if (error && error.message === "unauthorized") signOut(MESSAGES.unauthorized);
      else if (state.socket === socket) setRealtime(socket.active ? "connecting" : "offline");
    });
    socket.on("live", function (data) {
      if (state.front && data.compound_id === state.front.compound.id) setLive(data.watching, data.buying);
    });
    socket.on("van_arrived", showVanBanner);
    socket.on("shake_open", function (data) {
      if (state.front && data.compound_id === state.front.compound.id) openShake(data);
    });
    socket.on("shake_closed", function (data) {
      if (state.round && data.round_id === state.round.id) closeShake(MESSAGES.round_closed);
    });
  }

  function enterStoreRoom() {
    if (!state.socket || !state.sessionId) return;
    state.socket.emit("enter_store", {store_session_id: state.sessionId}, function (ack) {
      if (ack && ack.error) { toast(errorText(ack)); return; }
      setRealtime("live");
      if (ack && state.front && ack.compound_id === state.front.compound.id) setLive(ack.watching, ack.buying);
    });
  }

  var bannerTimer = null;
  function showVanBanner(data) {
    var banner = $("van-banner");
    var name = data && data.courier && data.courier.name;
    banner.textContent = "";
    banner.appendChild(h("span", {className: "van-icon", text: "到", attrs: {"aria-hidden": "true"}}));
    banner.appendChild(h("span", {className: "van-text"}, [
      h("b", {text: "小哥到了! The van is here"}),
      name ? h("small", {text: name}) : null
    ]));
    banner.appendChild(h("button", {type: "button", className: "van-close", text: "×",
      attrs: {"aria-label": "关闭 Close"}, onclick: function () { banner.hidden = true; }}));
    banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(function () { banner.hidden = true; }, 20000);
  }

  /* ---------- the shake ---------- */

  function syncShake(shake) {
    if (shake && shake.round_id) openShake({round_id: shake.round_id, closes_at: shake.closes_at});
    else if (state.round && !state.round.over) closeShake(MESSAGES.round_closed);
  }

  function openShake(data) {
    var same = state.round && state.round.id === data.round_id;
    if (same && state.round.over) return;
    if (!same) {
      state.round = {id: data.round_id, closesAt: parseTime(data.closes_at), over: false, busy: false,
                     pendingShakeId: null, shakesLeft: null};
      $("shake-title").textContent = (data.campaign && data.campaign.title) || "摇一摇 Shake to win";
      $("shake-result").textContent = "";
      $("shake-result").className = "shake-result";
      $("shake-left").textContent = "";
      setShakeButton(true, "摇一摇", "Shake!");
      $("shake-panel").hidden = false;
      fetchRoundDetails(data.round_id);
    }
    state.round.closesAt = parseTime(data.closes_at);
    startCountdown();
    offerMotion();
  }

  function fetchRoundDetails(roundId) {
    if (!state.front) return;
    api("GET", "/api/v1/compounds/" + state.front.compound.id + "/shake").then(function (answer) {
      var round = answer.status === 200 && answer.body.round;
      if (!round || !state.round || state.round.id !== roundId || round.id !== roundId) return;
      if (round.campaign && round.campaign.title) $("shake-title").textContent = round.campaign.title;
      if (state.round.shakesLeft === null) showShakesLeft(round.shakes_left);
    }, function () {});
  }

  function setShakeButton(enabled, zh, en) {
    var button = $("shake-button");
    button.disabled = !enabled;
    button.textContent = zh;
    button.appendChild(h("br"));
    button.appendChild(h("span", {text: en}));
  }

  function showShakesLeft(left) {
    if (typeof left !== "number" || !state.round) return;
    state.round.shakesLeft = left;
    $("shake-left").textContent = "还能摇 " + left + " 次 · " + left + (left === 1 ? " shake" : " shakes") + " left";
    if (left <= 0 && !state.round.over) setShakeButton(false, "次数用完", "No shakes left");
  }

  var countdownTimer = null;
  function startCountdown() {
    clearInterval(countdownTimer);
    tick();
    countdownTimer = setInterval(tick, 250);
  }

  function tick() {
    if (!state.round || isNaN(state.round.closesAt)) return;
    var left = Math.max(0, Math.ceil((state.round.closesAt - serverNow()) / 1000));
    var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
    $("shake-countdown").textContent = text;
    var pill = $("shake-pill-time");
    if (pill) pill.textContent = text;
    if (left <= 0) closeShake(MESSAGES.round_closed);
  }

  function updateShakePill() {
    var pill = $("shake-pill");
    if (pill) pill.hidden = !(state.round && !state.round.over);
  }

  /** The round is over (or we left): the panel says so, then goes away. */
  function closeShake(message) {
    clearInterval(countdownTimer);
    var panel = $("shake-panel");
    if (!state.round) { panel.hidden = true; return; }
    var alreadyOver = state.round.over;
    state.round.over = true;
    stopMotion();
    updateShakePill();
    if (!message) { state.round = null; panel.hidden = true; return; }
    if (alreadyOver) return;
    $("shake-countdown").textContent = "0:00";
    setShakeButton(false, "已结束", "Over");
    var notice = $("shake-result");
    notice.className = "shake-result over";
    notice.insertBefore(h("p", {className: "shake-over", text: message}), notice.firstChild);
    var closing = state.round;
    setTimeout(function () {
      if (state.round === closing) { state.round = null; panel.hidden = true; }
    }, 6000);
  }

  function shake() {
    var round = state.round;
    if (!round || round.over || round.busy) return;
    if (round.shakesLeft !== null && round.shakesLeft <= 0) return;
    round.busy = true;
    // A retry of an unanswered shake keeps its id, so the server answers it only once.
    var shakeId = round.pendingShakeId || (round.pendingShakeId = uuid());
    $("shake-button").classList.add("shaking");
    if (navigator.vibrate) navigator.vibrate(80);
    sendShake(round.id, shakeId).then(function (answer) {
      round.pendingShakeId = null;
      showShakeAnswer(round, answer);
    }, function () {
      showShakeAnswer(round, {error: {code: "network"}});
    }).then(function () {
      round.busy = false;
      $("shake-button").classList.remove("shaking");
    });
  }

  /** Over the socket when it is up (acked like REST), else, or on no ack, over REST. */
  function sendShake(roundId, shakeId) {
    var body = {round_id: roundId, shake_id: shakeId};
    var socket = state.socket;
    var viaRest = function () {
      return api("POST", "/api/v1/shake-rounds/" + roundId + "/shakes", {shake_id: shakeId})
        .then(function (answer) { return answer.body || {error: {code: "network"}}; });
    };
    if (!socket || !socket.connected || typeof socket.timeout !== "function") return viaRest();
    return new Promise(function (resolve) {
      socket.timeout(SHAKE_ACK_TIMEOUT_MS).emit("shake", body, function (error, ack) {
        resolve(error ? viaRest() : ack);
      });
    });
  }

  function showShakeAnswer(round, answer) {
    if (state.round !== round) return;
    var box = $("shake-result");
    box.textContent = "";
    if (!answer || answer.error) {
      var code = answer && answer.error && answer.error.code;
      if (code === "round_closed") { closeShake(MESSAGES.round_closed); return; }
      box.className = "shake-result error";
      box.appendChild(h("p", {text: MESSAGES[code] || errorText(answer)}));
      if (code === "shake_limit_reached") showShakesLeft(0);
      return;
    }
    if (answer.result === "win") {
      box.className = "shake-result win";
      box.appendChild(h("p", {className: "shake-verdict", text: "中奖啦! You won!"}));
      box.appendChild(prizeDetails(answer.prize || {}));
      if (navigator.vibrate) navigator.vibrate([100, 60, 200]);
    } else {
      box.className = "shake-result lose";
      box.appendChild(h("p", {className: "shake-verdict", text: "差一点! 再摇一次 Not this time, shake again"}));
    }
    showShakesLeft(answer.shakes_left);
  }

  function prizeDetails(prize) {
    var parts = [h("p", {className: "prize-title", text: prize.title || ""})];
    if (prize.coupon) {
      var c = prize.coupon;
      parts.push(h("p", {className: "prize-line", text: yuan(c.discount_fen) + " 券" +
        (c.threshold_fen > 0 ? " (满" + yuan(c.threshold_fen) + "可用)" : "") +
        " 已放入卡包 · Coupon added to your wallet"}));
    }
    if (prize.order) {
      parts.push(h("p", {className: "prize-line"}, ["取货码 Pickup code: ",
        h("b", {className: "pickup-code", text: String(prize.order.pickup_code)})]));
      parts.push(h("p", {className: "prize-line small", text: "到小哥车上出示取货 · Show it at the van to collect"}));
    }
    return h("div", {className: "prize"}, parts);
  }

  /* ---------- the shake gesture (phones) ---------- */

  var motion = {listening: false, last: null, lastShakeAt: 0};

  function onMotion(event) {
    var a = event.acceleration, g = event.accelerationIncludingGravity;
    var strong = false;
    if (a && a.x !== null && a.x !== undefined) {
      strong = Math.sqrt(a.x * a.x + a.y * a.y + a.z * a.z) > 15;
    } else if (g && g.x !== null && g.x !== undefined) {
      if (motion.last) {
        strong = Math.abs(g.x - motion.last.x) + Math.abs(g.y - motion.last.y) + Math.abs(g.z - motion.last.z) > 25;
      }
      motion.last = {x: g.x, y: g.y, z: g.z};
    }
    var now = Date.now();
    if (strong && now - motion.lastShakeAt > 1200) {
      motion.lastShakeAt = now;
      shake();
    }
  }

  function listenForMotion() {
    if (motion.listening) return;
    motion.listening = true;
    window.addEventListener("devicemotion", onMotion);
  }

  function stopMotion() {
    motion.listening = false;
    motion.last = null;
    window.removeEventListener("devicemotion", onMotion);
    $("shake-motion").hidden = true;
  }

  function offerMotion() {
    if (!("DeviceMotionEvent" in window)) return;
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (!touch) return;
    if (typeof window.DeviceMotionEvent.requestPermission === "function") {
      // iOS 13+: only a tap may ask for the motion sensors.
      if (!motion.listening) $("shake-motion").hidden = false;
    } else {
      listenForMotion();
    }
  }

  function askMotionPermission() {
    window.DeviceMotionEvent.requestPermission().then(function (answer) {
      $("shake-motion").hidden = true;
      if (answer === "granted") listenForMotion();
      else toast("未允许动作感应，请点按钮摇 Motion not allowed: tap the button to shake", "info");
    }, function () { $("shake-motion").hidden = true; });
  }

  /* ---------- start ---------- */

  $("shake-button").addEventListener("click", shake);
  $("shake-motion").addEventListener("click", askMotionPermission);
  $("shake-later").addEventListener("click", function () {
    $("shake-panel").hidden = true;
    updateShakePill();
  });
  var loginButton = $("demo-login");
  if (loginButton) loginButton.addEventListener("click", demoLogin);

  if (state.token) enterStore();
  else showSignedOut();
})();
