/* Xiaoge courier handheld, part 1 of 5: the shared basics, the outbox and its delivery.
 *
 * Loaded first (then picks.js, then handheld.js, which boots the app). It opens the one
 * namespace the three files share, window.XiaogeHandheld: constants, the state, small DOM
 * helpers and the REST call. Then the outbox: an "arrived" tap is written to IndexedDB
 * first and shown as queued; it is delivered over the /courier socket (acked) or, failing
 * that, REST, and marked sent only on the server's answer. Queued taps are resent with
 * backoff. API data reaches the page with textContent only, never as HTML.
 */
(function () {
  "use strict";

  var API = document.body.dataset.api;
  var ACK_TIMEOUT_MS = 8000, HTTP_TIMEOUT_MS = 15000;
  var BASE_DELAY_MS = 2000, MAX_DELAY_MS = 300000, FIX_MAX_AGE_MS = 120000, TAPS_KEPT = 50;
  var FINAL_ACK_CODES = ["invalid_request", "not_on_route", "stale_event", "too_far", "not_found", "forbidden"];
  var REASONS = {
    not_on_route: "不在你的路线 Not on your route",
    stale_event: "太久了，只记录不开摇 Too old: recorded, no shake",
    too_far: "离小区太远，只记录不开摇 Too far from the compound: recorded, no shake",
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

  // The namespace: filled here and by picks.js and handheld.js. A file calls into a file
  // loaded after it through X at the time of the call (X.expire, X.renderRoute).
  var X = window.XiaogeHandheld = {REASONS: REASONS, PICKS_KEY: "xiaoge.handheld.picks", state: state};

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
      if (!ack.error) return {status: 201, body: ack};  // acked with the REST body
      return FINAL_ACK_CODES.indexOf(ack.error.code) >= 0 ? {status: 422, body: ack} : rest();
    });
  }

  function deliver(tap) {
    tap.attempts += 1;
    return sendArrival(tap.body).then(function (answer) {
      var status = answer.status, error = answer.body.error;
      if ((status === 200 || status === 201) && answer.body.arrival) {
        Object.assign(tap, {status: "sent", answer: answer.body, answer_status: status, last_error: null});
      } else if (status === 401) {
        X.expire();
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

  /* ---------- rendering the taps ---------- */

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
    if (tap.answer && tap.answer.arrival && tap.answer.arrival.repeat)
      return ["已送达 sent", "到达 " + made + " · 刚开过一轮，不再开 Opened here minutes ago: no new round"];
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

  function alertLine(list, text) {
    list.prepend(h("li", {class: "tap", "data-status": "refused", text: text}));
  }

  Object.assign(X, {$: $, h: h, uuid: uuid, clock: clock, local: local, api: api, reloadTaps: reloadTaps,
                    flush: flush, tapArrived: tapArrived, renderQueued: renderQueued, renderTaps: renderTaps});
})();
