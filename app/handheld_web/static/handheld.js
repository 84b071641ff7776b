/* Xiaoge courier handheld, the web app: plain JS, no framework, no build step.
 *
 * The browser twin of handheld/ (the Python client, outbox and CLI). An "arrived" tap is
 * written to an IndexedDB outbox first and shown as queued; then it is delivered over the
 * /courier socket (acked) or, failing that, REST, and marked sent only on the server's
 * answer. Queued taps are resent with backoff, on `online`, on socket reconnect and on
 * page load; the server answers a resent event_id with its first answer. The pick list
 * updates live (`pickup_added`); a handover checks the shopper's pickup code.
 * API data reaches the page with textContent only, never as HTML.
 */
(function () {
  "use strict";

  var API = document.body.dataset.api;
  var TOKEN_KEY = "xiaoge.handheld.token", COURIER_KEY = "xiaoge.handheld.courier";
  var PICKS_KEY = "xiaoge.handheld.picks", SELECTED_KEY = "xiaoge.handheld.compound";
  var ACK_TIMEOUT_MS = 8000, HTTP_TIMEOUT_MS = 15000;
  var BASE_DELAY_MS = 2000, MAX_DELAY_MS = 300000, FIX_MAX_AGE_MS = 120000, TAPS_KEPT = 50;
  var FINAL_ACK_CODES = ["invalid_request", "not_on_route", "stale_event", "not_found", "forbidden"];
  var REASONS = {
    not_on_route: "不在你的路线 Not on your route",
    stale_event: "太久了，只记录不开摇 Too old: recorded, no shake",
    invalid_request: "请求无效 Invalid tap",
    wrong_code: "取货码错误 Wrong code",
    too_many_attempts: "错误太多已锁定，请找运营 Locked: too many wrong codes, call ops",
    not_available: "订单已取消 Order cancelled",
    not_found: "不在你的取货单 Not on your pick list",
    bad_credentials: "工号或密码错误 Wrong employee no. or password"
  };
  var TIME = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit",
                                               hour12: false});

  var state = {token: null, courier: null, selected: null, socket: null, taps: [], picks: [],
               picksAt: null, failures: 0, retryTimer: null, flushing: null, flushAgain: false,
               fix: null, handovers: {}};

  /* ---------- helpers ---------- */

  function $(id) { return document.getElementById(id); }

  function h(tag, props, children) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") el.textContent = props[key];
      else if (key.indexOf("on") === 0) el.addEventListener(key.slice(2), props[key]);
      else el.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) { if (child) el.appendChild(child); });
    return el;
  }

  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = window.crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs https
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var x = Array.prototype.map.call(b, function (v) { return (v + 256).toString(16).slice(1); }).join("");
    return [x.slice(0, 8), x.slice(8, 12), x.slice(12, 16), x.slice(16, 20), x.slice(20)].join("-");
  }

  function pad(n, width) { return String(Math.abs(n)).padStart(width || 2, "0"); }

  /** Now in RFC 3339 with the device's offset: "2025-11-25T14:03:07.412+08:00". */
  function localIso(date) {
    var off = -date.getTimezoneOffset();
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) + "." +
      pad(date.getMilliseconds(), 3) + (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" +
      pad(Math.abs(off) % 60);
  }

  function clock(text) {
    var when = Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
    return isNaN(when) ? "?" : TIME.format(new Date(when));
  }

  var local = {
    get: function (key) { try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; } },
    set: function (key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ } },
    drop: function (key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  };

  /* ---------- the outbox: IndexedDB, one record per tap, keyed by event_id ---------- */

  var outbox = {
    db: null,
    open: function () {
      if (!outbox.db) outbox.db = new Promise(function (resolve, reject) {
        var request = indexedDB.open("xiaoge-handheld", 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("taps", {keyPath: "event_id"}).createIndex("created_at", "created_at");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
      return outbox.db;
    },
    run: function (mode, work) {
      return outbox.open().then(function (db) {
        return new Promise(function (resolve, reject) {
          // "strict": the tap is on disk before we call it queued.
          var tx = db.transaction("taps", mode, {durability: "strict"}), result;
          var request = work(tx.objectStore("taps"));
          if (request) request.onsuccess = function () { result = request.result; };
          tx.oncomplete = function () { resolve(result); };
          tx.onerror = tx.onabort = function () { reject(tx.error); };
        });
      });
    },
    all: function () {
      return outbox.run("readonly", function (store) { return store.index("created_at").getAll(); });
    },
    put: function (tap) { return outbox.run("readwrite", function (store) { return store.put(tap); }); },
    prune: function (taps) {
      var done = taps.filter(function (t) { return t.status !== "queued"; });
      var old = done.slice(0, Math.max(done.length - TAPS_KEPT, 0));
      if (!old.length) return Promise.resolve();
      return outbox.run("readwrite", function (store) {
        old.forEach(function (t) { store.delete(t.event_id); });
      });
    }
  };

  function reloadTaps() {
    return outbox.all().then(function (taps) {
      state.taps = taps;
      renderTaps();
      return outbox.prune(taps);
    });
  }

  function myQueued() {
    return state.taps.filter(function (t) {
      return t.status === "queued" && state.courier && t.courier_id === state.courier.id;
    });
  }

  /* ---------- talking to the server ---------- */

  function Unreachable(message) { this.message = message; }

  /** One REST call: {status, body}; throws Unreachable when no answer came. */
  function api(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, HTTP_TIMEOUT_MS);
    var headers = {"Content-Type": "application/json"};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(API + path, {method: method, headers: headers, signal: controller.signal,
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .catch(function () { throw new Unreachable("无网络 No network"); })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (json) {
          if (!json) throw new Unreachable("不是小哥服务器 Not the Xiaoge server (" + response.status + ")");
          return {status: response.status, body: json};
        });
      })
      .finally(function () { clearTimeout(timer); });
  }

  /** The tap over the socket when it is up (acked with the REST answer), else REST. */
  function sendArrival(body) {
    var socket = state.socket;
    var rest = function () { return api("POST", "/courier/arrivals", body); };
    if (!socket || !socket.connected) return rest();
    return new Promise(function (resolve) {
      socket.timeout(ACK_TIMEOUT_MS).emit("arrived", body, function (error, ack) { resolve(error ? null : ack); });
    }).then(function (ack) {
      if (!ack) return rest();  // no ack in time: the same event_id over REST is safe
      if (ack.status) return {status: ack.status, body: ack};
      var code = ack.error && ack.error.code;
      return FINAL_ACK_CODES.indexOf(code) >= 0 ? {status: 422, body: ack} : rest();
    });
  }

  function deliver(tap) {
    tap.attempts += 1;
    return sendArrival(tap.body).then(function (answer) {
      var status = answer.status, error = answer.body.error;
      if ((status === 200 || status === 201) && answer.body.arrival) {
        Object.assign(tap, {status: "sent", answer: answer.body, answer_status: status, last_error: null});
      } else if (status === 401) {
        expire();
        tap.last_error = "登录过期 Sign-in expired";
      } else if (status === 408 || status === 429 || status >= 500 || status < 400) {
        tap.last_error = "服务器忙 Server busy (" + status + ")";
      } else {
        var reason = (error && (REASONS[error.code] || error.message)) || "HTTP " + status;
        Object.assign(tap, {status: "refused", answer: answer.body, answer_status: status, last_error: reason});
      }
    }, function (failure) {
      if (!(failure instanceof Unreachable)) throw failure;
      tap.last_error = failure.message;
    }).then(function () {
      return outbox.put(tap).then(function () { return tap.status !== "queued"; });
    });
  }

  /** Send this courier's queued taps, oldest first; a failure backs off and retries later. */
  function flush() {
    if (state.flushing) { state.flushAgain = true; return state.flushing; }
    clearTimeout(state.retryTimer);
    state.flushing = reloadTaps().then(deliverQueued).then(function (outcome) {
      if (outcome === "failed") state.failures += 1;
      else if (outcome === "done") state.failures = 0;
    }).catch(function (error) {
      state.failures += 1;
      console.warn("outbox:", error);
    }).then(function () {
      return reloadTaps().catch(function () { /* shown on the next change */ });
    }).then(function () {
      state.flushing = null;
      if (state.flushAgain) { state.flushAgain = false; return flush(); }
      scheduleRetry();
    });
    return state.flushing;
  }

  /** "idle" (nothing to do, offline or signed out), "done" (all answered) or "failed". */
  function deliverQueued() {
    var queued = myQueued();
    if (!state.token || !queued.length || !navigator.onLine) return "idle";
    return queued.reduce(function (chain, tap) {
      return chain.then(function (answered) { return answered && state.token ? deliver(tap) : false; });
    }, Promise.resolve(true)).then(function (answered) { return answered ? "done" : "failed"; });
  }

  /** Exponential backoff with "equal jitter", so vans back in coverage do not retry in step. */
  function scheduleRetry() {
    clearTimeout(state.retryTimer);
    if (!state.failures || !myQueued().length) return;
    var step = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, state.failures - 1));
    state.retryTimer = setTimeout(flush, step / 2 + Math.random() * step / 2);
  }

  function tapArrived() {
    var compound = state.selected, now = new Date();
    var body = {event_id: uuid(), compound_id: compound.id, occurred_at: localIso(now)};
    if (state.fix && Date.now() - state.fix.at < FIX_MAX_AGE_MS) {
      body.lat = state.fix.lat;
      body.lng = state.fix.lng;
    }
    var tap = {event_id: body.event_id, kind: "arrived", courier_id: state.courier.id, compound_id: compound.id,
               compound_name: compound.name, body: body, status: "queued", attempts: 0, last_error: null,
               answer: null, answer_status: null, created_at: now.getTime()};
    var button = $("arrived");
    button.disabled = true;  // one tap per press, even with gloves
    setTimeout(function () { button.disabled = false; }, 2000);
    outbox.put(tap).then(reloadTaps).then(flush).catch(function (error) {
      button.disabled = false;
      alertLine($("taps"), "没存上，请再按一次 Not saved, press again (" + error + ")");
    });
  }

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
  }

  /* ---------- rendering ---------- */

  function renderNet() {
    var pill = $("net"), net = "offline", label = "离线 offline";
    if (navigator.onLine && state.socket && state.socket.connected) { net = "online"; label = "在线 online"; }
    else if (navigator.onLine) { net = "connecting"; label = "连接中 connecting"; }
    pill.dataset.state = net;
    pill.textContent = label;
  }

  function renderQueued() {
    var count = myQueued().length, pill = $("queued");
    pill.dataset.count = count;
    pill.textContent = "排队 " + count + " queued";
  }

  function tapLine(tap) {
    var made = clock(tap.body.occurred_at);
    if (tap.status === "queued") {
      var tries = tap.attempts ? " · 试了 " + tap.attempts + " tries" + (tap.last_error ? ": " + tap.last_error : "") : "";
      return ["排队中 queued", "到达 " + made + " · 有网就发 Sent when online" + tries];
    }
    if (tap.status === "refused") return ["被拒 refused", "到达 " + made + " · " + tap.last_error];
    var rounds = (tap.answer && tap.answer.rounds) || [];
    if (!rounds.length) return ["已送达 sent", "到达 " + made + " · 此处暂无摇一摇 No shake campaign here now"];
    var until = rounds.map(function (r) { return r.closes_at; }).sort().pop();
    return ["已送达 sent", "到达 " + made + " · 摇一摇已开 " + rounds.length + " shake round" +
            (rounds.length > 1 ? "s" : "") + " open until " + clock(until)];
  }

  function renderTaps() {
    renderQueued();
    var list = $("taps");
    if (!state.selected || !list) return;
    var mine = state.taps.filter(function (t) { return t.compound_id === state.selected.id; }).reverse().slice(0, 3);
    list.replaceChildren.apply(list, mine.map(function (tap) {
      var line = tapLine(tap);
      return h("li", {class: "tap", "data-status": tap.status, "data-event-id": tap.event_id}, [
        h("b", {class: "tap-state", text: line[0]}), h("span", {text: line[1]})]);
    }));
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

  function alertLine(list, text) {
    list.prepend(h("li", {class: "tap", "data-status": "refused", text: text}));
  }

  /* ---------- pick list and handover ---------- */

  function loadPicks() {
    if (!state.token || !navigator.onLine) return Promise.resolve();
    return api("GET", "/courier/pickups").then(function (answer) {
      if (answer.status === 401) return expire();
      if (answer.status !== 200) return;
      state.picks = answer.body.orders || [];
      state.picksAt = new Date().toISOString();
      local.set(PICKS_KEY, {at: state.picksAt, orders: state.picks});
      renderRoute();
      renderPicks();
    }, function () { renderPicks(); });
  }

  function addPick(order, live) {
    if (!state.picks.some(function (o) { return o.id === order.id; })) state.picks.push(order);
    local.set(PICKS_KEY, {at: state.picksAt, orders: state.picks});
    renderRoute();
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
    var goods = (order.items || []).map(function (i) { return i.name + " ×" + i.quantity; }).join("，");
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
          renderRoute();
          return;
        }
        button.disabled = false;
        if (answer.status === 401) return expire();
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

  boot();
})();
