/* The H5 verifier: handheld/verify.py's check_draws, in the browser, with Web Crypto.
 *
 * Fetches GET /api/v1/shake-rounds/<id>/draws and checks that sha256(seed) is the round's
 * seed_sha256 (and the commitment typed in, if any), that every shake's number is
 * HMAC-SHA256(seed, shake_id)[:8] as a big-endian integer / 2**64 (Number(BigInt) rounds as
 * Python's int / int does, and / 2**64 is exact: the same double), and that every outcome follows
 * from its number: a win's prize_index is the share holding it, a number in no share loses; a lose
 * inside a share is counted (stock, pacing or limits said no).
 */
(function () {
  "use strict";
  var SHOWN_PROBLEMS = 10;
  var section = document.getElementById("draws");
  var roundId = section.getAttribute("data-round-id");

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function bytesOf(text) {
    if (!/^([0-9a-f]{2})+$/i.test(text)) return null;
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function shareOf(number, odds) {
    var upper = 0;
    for (var i = 0; i < odds.length; i++) {
      upper += odds[i];
      if (number < upper) return i;
    }
    return null;
  }

  function checkDraws(draws, commitment) {
    var verdict = {shakes: 0, wins: 0, refusedInShare: 0, problems: []};
    var seed = bytesOf(String(draws.seed || ""));
    if (!seed) { verdict.problems.push("the seed is not hex"); return Promise.resolve(verdict); }
    if (!window.crypto || !window.crypto.subtle) return Promise.reject(new Error("Web Crypto needs HTTPS"));
    var subtle = window.crypto.subtle;
    return subtle.digest("SHA-256", seed).then(function (digest) {
      var revealed = hex(digest);
      if (revealed !== draws.seed_sha256) {
        verdict.problems.push("sha256(seed) is " + revealed + ", not the round's seed_sha256 " + draws.seed_sha256);
      }
      if (commitment && revealed !== commitment.toLowerCase()) {
        verdict.problems.push("sha256(seed) is " + revealed + ", not the commitment given " + commitment);
      }
      return subtle.importKey("raw", seed, {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
    }).then(function (key) {
      var prizes = draws.prizes || [];
      var odds = prizes.map(function (p) { return Number(p.win_probability); });
      prizes.forEach(function (p, i) { if (p.index !== i) verdict.problems.push("the prizes are not listed in order of their index"); });
      var shakes = draws.shakes || [];
      var encoder = new TextEncoder();
      return Promise.all(shakes.map(function (s) { return subtle.sign("HMAC", key, encoder.encode(String(s.shake_id))); }))
        .then(function (macs) {
          var seen = {};
          shakes.forEach(function (shake, n) {
            var id = String(shake.shake_id);
            verdict.shakes += 1;
            if (seen[id]) verdict.problems.push("shake " + id + ": listed twice");
            seen[id] = true;
            var number = Number(new DataView(macs[n]).getBigUint64(0, false)) / Math.pow(2, 64);
            if (shake.number !== number) verdict.problems.push("shake " + id + ": number " + shake.number + " but HMAC(seed, shake_id) gives " + number);
            var share = shareOf(number, odds);
            if (shake.result === "win") {
              verdict.wins += 1;
              if (share === null) verdict.problems.push("shake " + id + ": won with " + number + ", which is in no prize's share");
              else if (shake.prize_index !== share) verdict.problems.push("shake " + id + ": won prize " + shake.prize_index + ", but " + number + " is in prize " + share + "'s share");
            } else if (shake.result === "lose") {
              if (shake.prize_index !== null && shake.prize_index !== undefined) verdict.problems.push("shake " + id + ": lost, yet names prize " + shake.prize_index);
              if (share !== null) verdict.refusedInShare += 1;
            } else {
              verdict.problems.push("shake " + id + ": result " + shake.result + " is neither win nor lose");
            }
          });
          return verdict;
        });
    });
  }

  function show(text, ok, problems) {
    var out = document.getElementById("draws-verdict");
    out.textContent = text;
    out.className = "verdict " + (ok ? "ok" : "bad");
    var list = document.getElementById("draws-problems");
    list.textContent = "";
    (problems || []).slice(0, SHOWN_PROBLEMS).forEach(function (problem) {
      var item = document.createElement("li");
      item.textContent = problem;
      list.appendChild(item);
    });
  }

  function run() {
    show("验证中… Checking…", true);
    var commitment = document.getElementById("draws-commitment").value.trim();
    fetch("/api/v1/shake-rounds/" + encodeURIComponent(roundId) + "/draws").then(function (answer) {
      return answer.json().then(function (body) {
        if (!answer.ok) throw new Error(answer.status + " " + ((body.error && body.error.code) || ""));
        return body;
      });
    }).then(function (draws) { return checkDraws(draws, commitment); }).then(function (verdict) {
      var counts = verdict.shakes + " 次摇动 shakes, " + verdict.wins + " 次中奖 wins, " + verdict.refusedInShare +
        " 次落在奖品区间但库存或限额未允许 loses inside a prize's share";
      if (!verdict.problems.length) show("✓ 公平 OK: " + counts, true);
      else show("✗ 发现问题 PROBLEMS (" + verdict.problems.length + "): " + counts, false, verdict.problems);
    }, function (error) {
      show("无法验证 Cannot verify: " + error.message, false);
    });
  }

  document.getElementById("draws-check").addEventListener("click", run);
  run();
})();
