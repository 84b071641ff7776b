/* Xiaoge H5 store, part 1 of 5: what the other scripts share, on window.Xiaoge.
 *
 * Plain JS, no framework, no build step; loaded first (see templates/web/store.html).
 * API data reaches the page through h() and textContent only, never as HTML.
 */
(function (X) {
  "use strict";

  X.MESSAGES = {
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
    network: "网络出错，请重试 Network error, try again"
  };

  X.$ = function (id) { return document.getElementById(id); };

  /** h("p", {className: "x", text: "y", onclick: fn, attrs: {...}}, [children]) */
  X.h = function (tag, props, children) {
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
  };

  /** 2990 -> "¥29.9", 3000 -> "¥30": prices arrive in integer fen. */
  X.yuan = function (fen) {
    var text = (fen / 100).toFixed(2);
    return "¥" + text.replace(/\.00$/, "").replace(/(\.\d)0$/, "$1");
  };

  X.parseTime = function (text) {
    // RFC 3339 with microseconds: keep milliseconds, which every Date.parse accepts.
    return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
  };

  X.uuid = function () {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    // randomUUID needs a secure context; getRandomValues works on plain http too.
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  };

  X.storage = {
    get: function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  };

  /** The words for an API error body (or a network failure), Chinese then English. */
  X.errorText = function (body, status) {
    var error = body && body.error;
    if (!error) return status ? "出错了 Error (HTTP " + status + ")" : X.MESSAGES.network;
    var known = X.MESSAGES[error.code];
    if (error.code === "invalid_request" && error.fields) {
      var why = Object.keys(error.fields).map(function (f) { return f + ": " + error.fields[f]; }).join("; ");
      return known + " (" + why + ")";
    }
    return known || "出错了 Error: " + (error.message || error.code) + " (" + error.code + ")";
  };

  /* ---------- the API client: the shopper's token, the server's clock ---------- */

  X.client = {
    token: null,
    clockSkewMs: 0,
    onUnauthorized: function () {},

    /** fetch JSON (with `extraHeaders`, e.g. Idempotency-Key); resolves {status, body} for every HTTP answer, rejects only without one. */
    request: function (method, path, body, extraHeaders) {
      var client = this;
      var headers = Object.assign({"Accept": "application/json"}, extraHeaders || {});
      if (client.token) headers.Authorization = "Bearer " + client.token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return fetch(path, {
        method: method, headers: headers, credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body)
      }).then(function (response) {
        client.noteServerClock(response);
        return response.json().catch(function () { return null; }).then(function (json) {
          if (response.status === 401 && client.token) client.onUnauthorized(X.errorText(json, 401));
          return {status: response.status, body: json};
        });
      });
    },

    noteServerClock: function (response) {
      var date = Date.parse(response.headers.get("Date") || "");
      if (isNaN(date)) return;
      var skew = date - Date.now();
      // The header has whole seconds: only a clearly wrong phone clock is corrected.
      this.clockSkewMs = Math.abs(skew) > 2000 ? skew : 0;
    },

    /** Now by the server's clock (round countdowns end when the server says). */
    now: function () { return Date.now() + this.clockSkewMs; }
  };

  /* ---------- the toast: errors and notices at the bottom of the screen ---------- */

  var toastTimer = null;
  X.toast = function (text, kind) {
    var box = X.$("toast");
    box.textContent = "";
    box.className = "toast " + (kind || "error");
    box.appendChild(X.h("span", {text: text}));
    box.appendChild(X.h("button", {type: "button", className: "toast-close", text: "×",
      attrs: {"aria-label": "关闭 Close"}, onclick: function () { box.hidden = true; }}));
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 8000);
  };

  X.networkFailed = function () { X.toast(X.MESSAGES.network); };
})(window.Xiaoge = window.Xiaoge || {});
