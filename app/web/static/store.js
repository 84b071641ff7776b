/* Xiaoge H5 store, part 5 of 5: the page. Loaded last; plain JS, no framework, no build.
 *
 * The server renders the courier and the route; this script adds the shopping: a shopper
 * token (the demo login outside WeChat, kept in localStorage), the store session (the
 * chosen compound, else the server's pick from the default address), the storefront
 * (storefront.js), shopping, orders and the wallet (shop.js), and the live /shopper socket:
 * counters, the van's arrival and the shake (shake.js).
 */
(function (X) {
  "use strict";

  var $ = X.$, h = X.h, storage = X.storage;
  var TOKEN_KEY = "xiaoge.shopper.token";
  var REALTIME_LABELS = {live: "实时 Live", connecting: "连接中 Connecting", offline: "离线 Offline"};

  enableCopyLink();
  var root = $("xiaoge-store");
  if (!root || !window.fetch || !window.Promise || !X.storefront || !X.shake || !X.shop) return;

  var courierCode = root.getAttribute("data-courier-code");
  var demo = root.getAttribute("data-demo") === "1";
  var payPage = root.getAttribute("data-pay-page") || "";
  var SESSION_KEY = "xiaoge.store-session." + courierCode;
  var state = {sessionId: null, front: null, socket: null, realtime: "offline"};

  /** The copy-link button of the "open in WeChat" card. */
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

  /* ---------- signing in and out ---------- */

  function showSignedOut() {
    root.textContent = "";
    var box = $("demo-login-box");
    if (box) box.hidden = !demo;
    $("cta").hidden = false;
    resetRoute();
  }

  function demoLogin(event) {
    var button = event.currentTarget;
    var label = button.textContent;
    button.disabled = true;
    button.textContent = "登录中… Signing in…";
    var done = function () { button.disabled = false; button.textContent = label; };
    X.client.request("POST", "/s/" + encodeURIComponent(courierCode) + "/demo-login").then(function (answer) {
      done();
      if (answer.status !== 200) { X.toast(X.errorText(answer.body, answer.status)); return; }
      X.client.token = answer.body.token;
      storage.set(TOKEN_KEY, X.client.token);
      enterStore();
    }, function () { done(); X.networkFailed(); });
  }

  function signOut(reason) {
    X.client.token = null;
    state.sessionId = null;
    state.front = null;
    storage.remove(TOKEN_KEY);
    storage.remove(SESSION_KEY);
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    setRealtime("offline");
    X.shake.close(null);
    showSignedOut();
    if (reason) X.toast(reason);
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
    X.client.request("POST", "/api/v1/store-sessions", body).then(function (answer) {
      var error = answer.body && answer.body.error;
      if (answer.status === 201) {
        storage.set(SESSION_KEY, String(answer.body.session.id));
        loadStorefront(answer.body.session.id, false);
      } else if (error && error.code === "compound_required") {
        showChooser(error.candidates || []);
      } else if (X.client.token) {
        X.toast(X.errorText(answer.body, answer.status));
      }
    }, X.networkFailed);
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
    section.hidden = false;
    section.classList.add("choosing");
    setRouteTitle("选择你的小区 ", "Choose your compound");
    var list = $("route-chips") || h("ul", {className: "chips", id: "route-chips"});
    if (!list.parentNode) section.appendChild(list);
    if (!candidates.length) candidates = routeChoices();
    list.textContent = "";
    candidates.forEach(function (c) {
      list.appendChild(h("li", {attrs: {"data-compound-id": String(c.id)}}, [
        h("button", {type: "button", className: "chip", text: c.name, onclick: function () { openSession(c.id); }})
      ]));
    });
    if (!candidates.length && !section.querySelector(".muted")) {
      section.appendChild(h("p", {className: "muted", text: "暂无配送小区 · No compounds yet"}));
    }
    section.scrollIntoView({block: "nearest"});
  }

  /** Back to the server-rendered look: plain chips under "配送小区". */
  function resetRoute() {
    var section = $("route");
    section.hidden = false;
    section.classList.remove("choosing");
    setRouteTitle("配送小区 ", "Compounds on the route");
    var list = $("route-chips");
    if (!list) return;
    var choices = routeChoices();
    list.textContent = "";
    choices.forEach(function (c) {
      list.appendChild(h("li", {text: c.name, attrs: {"data-compound-id": String(c.id)}}));
    });
  }

  function setRouteTitle(zh, en) {
    var title = $("route-title");
    title.textContent = zh;
    title.appendChild(h("span", {text: en}));
  }

  /** GET the storefront; a saved session that is gone (or not this shopper's) starts anew. */
  function loadStorefront(sessionId, fromStorage) {
    X.client.request("GET", "/api/v1/store-sessions/" + sessionId + "/storefront").then(function (answer) {
      if (answer.status === 200) {
        var storeChanged = state.sessionId !== sessionId;
        if (state.front && state.front.compound.id !== answer.body.compound.id) X.shake.close(null);
        state.sessionId = sessionId;
        state.front = answer.body;
        resetRoute();
        $("route").hidden = true;
        X.storefront.render(root, state.front, {
          changeCompound: function () { showChooser(routeChoices()); },
          signOut: function () { signOut(null); },
          view: viewProduct
        });
        X.shop.render(root, {sessionId: sessionId, payPage: payPage});
        setRealtime(state.realtime);
        X.shake.refreshPill();
        connectSocket(storeChanged);
        X.shake.sync(answer.body.shake);
      } else if (fromStorage && answer.status === 404) {
        storage.remove(SESSION_KEY);
        openSession(null);
      } else if (X.client.token) {
        X.toast(X.errorText(answer.body, answer.status));
      }
    }, X.networkFailed);
  }

  /* ---------- real time ---------- */

  /** Whether the page hears the compound now; `data-realtime` on the store says so too. */
  function setRealtime(status) {
    state.realtime = status;
    root.setAttribute("data-realtime", status);
    var badge = $("realtime");
    if (!badge) return;
    badge.className = "realtime is-" + status;
    badge.textContent = REALTIME_LABELS[status];
  }

  function inStoreCompound(data) {
    return Boolean(state.front && data && data.compound_id === state.front.compound.id);
  }

  function connectSocket(storeChanged) {
    if (typeof window.io !== "function") {
      setRealtime("offline");
      X.toast("实时功能不可用 Live updates are unavailable");
      return;
    }
    if (state.socket) {
      if (storeChanged && state.socket.connected) enterStoreRoom();
      return;
    }
    var socket = state.socket = window.io("/shopper", {transports: ["websocket"], auth: {token: X.client.token}});
    var connectedBefore = false;
    setRealtime("connecting");
    socket.on("connect", function () {
      if (state.socket !== socket) return;
      enterStoreRoom();
      // Back after a drop: catch up on what was missed (a round opened or closed meanwhile).
      if (connectedBefore && state.sessionId) loadStorefront(state.sessionId, false);
      connectedBefore = true;
    });
    socket.on("disconnect", function () { if (state.socket === socket) setRealtime("connecting"); });
    socket.on("connect_error", function (error) {
      if (error && error.message === "unauthorized") signOut(X.MESSAGES.unauthorized);
      else if (state.socket === socket) setRealtime(socket.active ? "connecting" : "offline");
    });
    socket.on("live", function (data) {
      if (!inStoreCompound(data)) return;
      X.storefront.setLive(data.watching, data.buying);
      X.storefront.setItems(data.items);
    });
    socket.on("van_arrived", showVanBanner);
    socket.on("group_progress", function (data) { if (X.groups) X.groups.progress(data); });
    socket.on("shake_open", function (data) { if (inStoreCompound(data)) X.shake.open(data); });
    socket.on("shake_closed", function (data) {
      if (data && data.round_id === X.shake.roundId()) X.shake.close(X.MESSAGES.round_closed);
    });
  }

  /** viewing: a tap on an item looks at it (others see "N watching" on it for two minutes,
   *  renewed every minute while it stays picked); a tap on it again puts it down. */
  var viewed = {productId: null, row: null, timer: null};
  var VIEW_RENEW_MS = 60000;
  function viewProduct(productId, row) {
    if (viewed.row) viewed.row.classList.remove("viewing");
    clearInterval(viewed.timer);
    var again = viewed.productId === productId;
    viewed = {productId: again ? null : productId, row: again ? null : row, timer: null};
    if (viewed.row) viewed.row.classList.add("viewing");
    sendViewing();
    if (viewed.productId !== null) viewed.timer = setInterval(sendViewing, VIEW_RENEW_MS);
  }
  function sendViewing() {
    if (!state.socket || !state.sessionId) return;
    state.socket.emit("viewing", {store_session_id: state.sessionId, product_id: viewed.productId},
      function (ack) { if (ack && ack.error) X.toast(X.errorText(ack)); });
  }

  /** enter_store: join the store compound's room (counts as watching). */
  function enterStoreRoom() {
    if (!state.socket || !state.sessionId) return;
    state.socket.emit("enter_store", {store_session_id: state.sessionId}, function (ack) {
      if (ack && ack.error) { X.toast(X.errorText(ack)); return; }
      setRealtime("live");
      if (inStoreCompound(ack)) X.storefront.setLive(ack.watching, ack.buying);
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

  /* ---------- start ---------- */

  X.client.token = storage.get(TOKEN_KEY);
  X.client.onUnauthorized = signOut;
  X.shake.init({
    compoundId: function () { return state.front && state.front.compound.id; },
    socket: function () { return state.socket; }
  });
  var loginButton = $("demo-login");
  if (loginButton) loginButton.addEventListener("click", demoLogin);
  if (X.client.token) enterStore();
  else showSignedOut();
})(window.Xiaoge = window.Xiaoge || {});
