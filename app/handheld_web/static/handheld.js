/* Xiaoge courier handheld, the web app: plain JS, no framework, no build step.
 *
 * The browser twin of handheld/ (the Python client, outbox and CLI). An "arrived" tap is
 * written to an IndexedDB outbox first and shown as queued; then it is delivered over the
 * /courier socket (acked) or, failing that, REST, and marked sent only on the server's
 * answer. Queued taps are resent with backoff, on `online`, on socket reconnect and on
 * page load; the server answers a resent event_id with its first answer. The pick list
 * updates live (`pickup_added`); a handover checks the shopper's pickup code.
 * API data reaches the page with textContent only, never as HTML.
 *
 * Five files share one namespace, window.XiaogeHandheld, loaded in this order:
 * outbox.js (the basics, the outbox and delivery with backoff), picks.js (the pick list and
 * handover), vanload.js (the van load), prestock.js (the loading list), earnings.js (today's and
 * this month's sales and earnings), then this one (sign-in, the route, the socket), which boots the app.
 */
(function () {
  "use strict";

  var X = window.XiaogeHandheld;
  var TOKEN_KEY = "xiaoge.handheld.token", COURIER_KEY = "xiaoge.handheld.courier";
  var SELECTED_KEY = "xiaoge.handheld.compound";
  var state = X.state, REASONS = X.REASONS, PICKS_KEY = X.PICKS_KEY;
  var $ = X.$, h = X.h, local = X.local, api = X.api;
  var reloadTaps = X.reloadTaps, flush = X.flush, tapArrived = X.tapArrived;
  var renderQueued = X.renderQueued, renderTaps = X.renderTaps;
  var loadPicks = X.loadPicks, addPick = X.addPick, renderPicks = X.renderPicks;

  /* ---------- the socket: status, arrivals, live pick list ---------- */

  function connectSocket() {
    if (state.socket || !state.token || typeof window.io !== "function") return;
    var socket = state.socket = window.io("/courier", {transports: ["websocket"], auth: {token: state.token},
                                                       autoConnect: false});
    socket.on("connect", function () { renderNet(); flush(); loadPicks(); });
    socket.on("disconnect", renderNet);
    socket.on("connect_error", function (error) {
      if (error && error.message === "unauthorized") expire();
      renderNet();
    });
    socket.on("pickup_added", function (data) { if (data && data.order) addPick(data.order, true); });
    if (navigator.onLine) socket.connect();
    renderNet();
  }

  function dropSocket() {
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
  }

  function goneOffline() {
    // The browser says the link is down: a WebSocket may linger a while, dead. Let it go.
    if (state.socket) state.socket.disconnect();
    renderNet();
  }

  function backOnline() {
    if (state.socket && !state.socket.connected) state.socket.connect();
    renderNet();
    flush();
    loadPicks();
    X.loadEarnings();
  }

  /* ---------- rendering: the network pill and the route ---------- */

  function renderNet() {
    var pill = $("net"), net = "offline", label = "离线 offline";
    if (navigator.onLine && state.socket && state.socket.connected) { net = "online"; label = "在线 online"; }
    else if (navigator.onLine) { net = "connecting"; label = "连接中 connecting"; }
    pill.dataset.state = net;
    pill.textContent = label;
  }

  function renderRoute() {
    var route = $("route"), compounds = (state.courier && state.courier.compounds) || [];
    $("courier-name").textContent = state.courier ? state.courier.name : "";
    if (!compounds.length) {
      route.replaceChildren(h("p", {class: "note", text: "今天没有小区 No compounds on your route"}));
      return;
    }
    route.replaceChildren.apply(route, compounds.map(function (c) {
      var waiting = state.picks.filter(function (o) { return o.compound_id === c.id; }).length;
      var selected = state.selected && state.selected.id === c.id;
      return h("button", {type: "button", class: "big stop", "data-compound-id": c.id,
                          "aria-pressed": selected ? "true" : "false", onclick: function () { select(c); }}, [
        h("span", {class: "stop-name", text: c.name}),
        waiting ? h("b", {class: "count", text: waiting + " 待取 to hand over"}) : null]);
    }));
  }

  function select(compound) {
    state.selected = compound;
    local.set(SELECTED_KEY, compound.id);
    $("compound").hidden = false;
    $("compound-name").textContent = compound.name;
    $("picks").replaceChildren();
    renderRoute();
    renderTaps();
    renderPicks();
  }

  /* ---------- sign-in, sign-out, start ---------- */

  function showLogin(text) {
    $("app-view").hidden = true;
    $("logout").hidden = true;
    $("login-view").hidden = false;
    var waiting = state.taps.filter(function (t) { return t.status === "queued"; }).length;
    $("login-message").textContent = (text || "") +
      (waiting ? (text ? " · " : "") + waiting + " 条到达排队中，登录后发送 taps queued, sent after sign-in" : "");
    renderQueued();
  }

  function showApp() {
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("logout").hidden = false;
    var cached = local.get(PICKS_KEY);
    if (cached) { state.picks = cached.orders || []; state.picksAt = cached.at; }
    var wanted = local.get(SELECTED_KEY), compounds = state.courier.compounds || [];
    var pick = compounds.filter(function (c) { return c.id === wanted; })[0] || compounds[0];
    renderRoute();
    if (pick) select(pick);
    connectSocket();
    watchPosition();
    flush();
    loadPicks();
    X.loadVan();
    X.loadPrestock();
    X.loadEarnings();
  }

  function start(token, courier) {
    state.token = token;
    state.courier = courier;
    showApp();
  }

  function signIn(event) {
    event.preventDefault();
    var employeeNo = $("employee-no").value.trim(), password = $("password").value, message = $("login-message");
    if (!employeeNo || !password) { message.textContent = "请填写工号和密码 Enter employee no. and password"; return; }
    $("sign-in").disabled = true;
    api("POST", "/courier/auth", {employee_no: employeeNo, password: password}).then(function (answer) {
      if (answer.status !== 200) {
        var code = answer.body.error && answer.body.error.code;
        message.textContent = REASONS[code] || (answer.body.error && answer.body.error.message) || "HTTP " + answer.status;
        return;
      }
      $("password").value = "";
      local.set(TOKEN_KEY, answer.body.token);
      local.set(COURIER_KEY, answer.body.courier);
      start(answer.body.token, answer.body.courier);
    }, function (failure) {
      message.textContent = failure.message + "，请重试 try again";
    }).finally(function () { $("sign-in").disabled = false; });
  }

  function signOut(text) {
    dropSocket();
    clearTimeout(state.retryTimer);
    local.drop(TOKEN_KEY);
    local.drop(PICKS_KEY);
    if (state.courier) $("employee-no").value = state.courier.employee_no || "";
    state.token = state.courier = state.selected = null;
    state.picks = [];
    showLogin(text);  // queued taps stay in the outbox, for this courier's next sign-in
  }

  function expire() { signOut("登录已过期，请重新登录 Sign-in expired, sign in again"); }

  function watchPosition() {
    if (!navigator.geolocation || state.watching) return;
    state.watching = true;  // the latest fix rides along with a tap; a tap never waits for one
    navigator.geolocation.watchPosition(function (position) {
      state.fix = {lat: position.coords.latitude, lng: position.coords.longitude, at: Date.now()};
    }, function () { /* no fix: taps go without lat/lng */ }, {maximumAge: 60000, timeout: 30000});
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    var body = document.body;
    var ready = function () { if (navigator.serviceWorker.controller) body.dataset.offlineReady = "yes"; };
    navigator.serviceWorker.addEventListener("controllerchange", ready);
    ready();
    if (!navigator.onLine) return;  // the installed worker serves; its update check can wait
    navigator.serviceWorker.register(body.dataset.worker, {scope: body.dataset.scope}).then(ready, function (e) {
      console.warn("no offline reload:", e);  // plain http off localhost has no service worker
    });
  }

  function boot() {
    $("login-form").addEventListener("submit", signIn);
    $("logout").addEventListener("click", function () { signOut(""); });
    $("arrived").addEventListener("click", tapArrived);
    window.addEventListener("online", backOnline);
    window.addEventListener("offline", goneOffline);
    registerWorker();
    renderNet();
    var token = local.get(TOKEN_KEY), courier = local.get(COURIER_KEY);
    reloadTaps().catch(function (error) { console.warn("outbox:", error); }).then(function () {
      if (token && courier) {
        start(token, courier);
        if (navigator.onLine) api("GET", "/courier/me").then(function (answer) {  // today's route may have changed
          if (answer.status === 401) return expire();
          if (answer.status !== 200 || !state.token) return;
          state.courier = answer.body.courier;
          local.set(COURIER_KEY, state.courier);
          renderRoute();
        }, function () { /* offline: yesterday's copy of the route will do */ });
      } else {
        var last = local.get(COURIER_KEY);
        if (last) $("employee-no").value = last.employee_no || "";
        showLogin("");
      }
    });
  }

  Object.assign(X, {expire: expire, renderRoute: renderRoute});  // called from outbox.js and picks.js
  boot();
})();
