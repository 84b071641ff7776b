/* Xiaoge H5 store, part 4 of 5: the shake panel.
 *
 * Xiaoge.shake.open({round_id, closes_at, campaign?, seed_sha256?}) shows the big panel with a countdown
 * to closes_at; a tap on "摇一摇 Shake!" or, on phones, a shake of the phone (devicemotion,
 * with iOS's permission asked by a tap) sends `shake {round_id, shake_id}` over the socket,
 * or over REST when the socket is down or gives no ack (same shake_id: answered once).
 * Xiaoge.shake.close(message) ends the round on `shake_closed`.
 */
(function (X) {
  "use strict";

  var $ = X.$, h = X.h;
  var ACK_TIMEOUT_MS = 8000;
  var CLOSED_PANEL_STAYS_MS = 6000;
  var env = {compoundId: function () { return null; }, socket: function () { return null; }};
  var round = null;  // {id, closesAt, over, busy, pendingShakeId, shakesLeft}
  var countdownTimer = null;

  /** Wire the page's buttons; `options` tells the store's compound and its socket. */
  function init(options) {
    env = options;
    $("shake-button").addEventListener("click", shake);
    $("shake-motion").addEventListener("click", askMotionPermission);
    $("shake-later").addEventListener("click", function () {
      $("shake-panel").hidden = true;
      refreshPill();
    });
  }

  /** The storefront's `shake` field: null, or the round open now. */
  function sync(field) {
    if (field && field.round_id) open({round_id: field.round_id, closes_at: field.closes_at});
    else if (round && !round.over) close(X.MESSAGES.round_closed);
  }

  function open(data) {
    var same = round && round.id === data.round_id;
    if (same && round.over) return;
    if (!same) {
      round = {id: data.round_id, closesAt: NaN, over: false, busy: false, pendingShakeId: null, shakesLeft: null,
               commitment: data.seed_sha256 || null};  // the seed's hash as heard at open: the verifier checks it
      $("shake-title").textContent = (data.campaign && data.campaign.title) || "摇一摇 Shake to win";
      $("shake-result").textContent = "";
      $("shake-result").className = "shake-result";
      $("shake-left").textContent = "";
      setButton(true, "摇一摇", "Shake!");
      $("shake-panel").hidden = false;
      fetchDetails(data.round_id);
    }
    round.closesAt = X.parseTime(data.closes_at);
    startCountdown();
    offerMotion();
    refreshPill();
  }

  /** Title and shakes left from GET /compounds/<id>/shake (a storefront only gives the id). */
  function fetchDetails(roundId) {
    var compoundId = env.compoundId();
    if (!compoundId) return;
    X.client.request("GET", "/api/v1/compounds/" + compoundId + "/shake").then(function (answer) {
      var current = answer.status === 200 && answer.body.round;
      if (!current || !round || round.id !== roundId || current.id !== roundId) return;
      if (current.campaign && current.campaign.title) $("shake-title").textContent = current.campaign.title;
      if (round.shakesLeft === null) showShakesLeft(current.shakes_left);
      if (!round.commitment) round.commitment = current.seed_sha256 || null;
    }, function () {});
  }

  /** The round is over (message: say so, then go) or no longer ours (no message: just go). */
  function close(message) {
    clearInterval(countdownTimer);
    var panel = $("shake-panel");
    if (!round) { panel.hidden = true; return; }
    var alreadyOver = round.over;
    round.over = true;
    stopMotion();
    refreshPill();
    if (!message) { round = null; panel.hidden = true; return; }
    if (alreadyOver) return;
    $("shake-countdown").textContent = "0:00";
    setButton(false, "已结束", "Over");
    var notice = $("shake-result");
    notice.className = "shake-result over";
    notice.insertBefore(h("p", {className: "shake-over", text: message}, [" ", verifyLink(round)]), notice.firstChild);
    var closing = round;
    setTimeout(function () {
      if (round === closing) { round = null; panel.hidden = true; }
    }, CLOSED_PANEL_STAYS_MS);
  }

  /** The closed round's draws, checked in the browser (/draws/<id>, draws.js) against the commitment heard at open. */
  function verifyLink(closed) {
    var query = closed.commitment ? "?commitment=" + encodeURIComponent(closed.commitment) : "";
    return h("a", {className: "shake-verify", href: "/draws/" + encodeURIComponent(closed.id) + query, target: "_blank",
                   rel: "noopener", text: "验证公平 Verify"});
  }

  function setButton(enabled, zh, en) {
    var button = $("shake-button");
    button.disabled = !enabled;
    button.textContent = zh;
    button.appendChild(h("br"));
    button.appendChild(h("span", {text: en}));
  }

  function showShakesLeft(left) {
    if (typeof left !== "number" || !round) return;
    round.shakesLeft = left;
    $("shake-left").textContent = "还能摇 " + left + " 次 · " + left + (left === 1 ? " shake" : " shakes") + " left";
    if (left <= 0 && !round.over) setButton(false, "次数用完", "No shakes left");
  }

  /** The pill in the store bar: a way back to a panel put away while the round is open. */
  function refreshPill() {
    var pill = $("shake-pill");
    if (!pill) return;
    pill.hidden = !(round && !round.over);
    pill.onclick = function () { $("shake-panel").hidden = false; };
  }

  function startCountdown() {
    clearInterval(countdownTimer);
    tick();
    countdownTimer = setInterval(tick, 250);
  }

  function tick() {
    if (!round || isNaN(round.closesAt)) return;
    var left = Math.max(0, Math.ceil((round.closesAt - X.client.now()) / 1000));
    var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
    $("shake-countdown").textContent = text;
    var pillTime = $("shake-pill-time");
    if (pillTime) pillTime.textContent = text;
    if (left <= 0) close(X.MESSAGES.round_closed);
  }

  /* ---------- one shake ---------- */

  function shake() {
    var current = round;
    if (!current || current.over || current.busy) return;
    if (current.shakesLeft !== null && current.shakesLeft <= 0) return;
    current.busy = true;
    // A retry of an unanswered shake keeps its id, so the server answers it only once.
    var shakeId = current.pendingShakeId || (current.pendingShakeId = X.uuid());
    $("shake-button").classList.add("shaking");
    if (navigator.vibrate) navigator.vibrate(80);
    send(current.id, shakeId).then(function (answer) {
      current.pendingShakeId = null;
      showAnswer(current, answer);
    }, function () {
      showAnswer(current, {error: {code: "network"}});
    }).then(function () {
      current.busy = false;
      $("shake-button").classList.remove("shaking");
    });
  }

  /** Over the socket when it is up (acked like REST), else, or on no ack, over REST. */
  function send(roundId, shakeId) {
    var socket = env.socket();
    var viaRest = function () {
      return X.client.request("POST", "/api/v1/shake-rounds/" + roundId + "/shakes", {shake_id: shakeId})
        .then(function (answer) { return answer.body || {error: {code: "network"}}; });
    };
    if (!socket || !socket.connected || typeof socket.timeout !== "function") return viaRest();
    return new Promise(function (resolve) {
      socket.timeout(ACK_TIMEOUT_MS).emit("shake", {round_id: roundId, shake_id: shakeId}, function (error, ack) {
        resolve(error ? viaRest() : ack);
      });
    });
  }

  function showAnswer(shaken, answer) {
    if (round !== shaken) return;
    var box = $("shake-result");
    box.textContent = "";
    if (!answer || answer.error) {
      var code = answer && answer.error && answer.error.code;
      if (code === "round_closed") { close(X.MESSAGES.round_closed); return; }
      box.className = "shake-result error";
      box.appendChild(h("p", {text: X.MESSAGES[code] || X.errorText(answer)}));
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
      parts.push(h("p", {className: "prize-line", text: X.yuan(c.discount_fen) + " 券" +
        (c.threshold_fen > 0 ? " (满" + X.yuan(c.threshold_fen) + "可用)" : "") +
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

  var motion = {listening: false, granted: false, last: null, lastShakeAt: 0};

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
    if (typeof window.DeviceMotionEvent.requestPermission === "function" && !motion.granted) {
      // iOS 13+: only a tap may ask for the motion sensors.
      $("shake-motion").hidden = false;
    } else {
      listenForMotion();
    }
  }

  function askMotionPermission() {
    window.DeviceMotionEvent.requestPermission().then(function (answer) {
      $("shake-motion").hidden = true;
      motion.granted = answer === "granted";
      if (motion.granted) listenForMotion();
      else X.toast("未允许动作感应，请点按钮摇 Motion not allowed: tap the button to shake", "info");
    }, function () { $("shake-motion").hidden = true; });
  }

  X.shake = {
    init: init, open: open, close: close, sync: sync, refreshPill: refreshPill,
    roundId: function () { return round && round.id; }
  };
})(window.Xiaoge = window.Xiaoge || {});
