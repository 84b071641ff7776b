/* Xiaoge console: a campaign's live dashboard.
   Starts from the page's snapshot (#dashboard-boot), then listens on the /console socket:
   `arrival`, `round_opened`, `round_closed`, `campaign_stats` (every second while a round is
   open) and `campaign_live` (shoppers watching). Shakes per second come from successive stats.
   After a reconnect it fetches a fresh snapshot, so nothing missed stays missing. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var boot = JSON.parse(document.getElementById("dashboard-boot").textContent);
  var campaignId = boot.campaign.id;
  var compounds = boot.campaign.compounds;
  var clockOffset = Date.parse(boot.server_now) - Date.now();
  var WINDOW_SECONDS = 15 * 60;
  var stats = boot.stats;
  var rounds = {};
  var lastTick = null;
  var recentRates = [];

  function serverNow() { return Date.now() + clockOffset; }
  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clock(when) {  /* an RFC 3339 string or milliseconds, as Beijing wall-clock time */
    return new Date(when).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }
  function setNumber(id, value) {
    var node = $(id);
    var text = String(value);
    if (node.textContent === text) return;
    node.textContent = text;
    node.classList.add("bump");
    setTimeout(function () { node.classList.remove("bump"); }, 600);
  }
  function setRealtime(state, text) {
    root.setAttribute("data-realtime", state);
    $("conn").textContent = text;
  }

  /* --- figures ---------------------------------------------------------------------- */
  function applyStats(next) {
    stats = next;
    setNumber("kpi-shakes", next.shakes);
    setNumber("kpi-wins", next.wins);
    setNumber("kpi-rounds", next.rounds);
    var body = document.querySelector("#prizes tbody");
    body.textContent = "";
    next.by_prize.forEach(function (prize) {
      var stock = prize.per_round * next.rounds;
      var left = Math.max(stock - prize.awarded, 0);
      var row = el("tr");
      row.setAttribute("data-prize-id", prize.prize_id);
      row.appendChild(el("td", "", (prize.kind === "coupon" ? "券 " : "物 ") + prize.title));
      row.appendChild(el("td", "num won", prize.awarded));
      row.appendChild(el("td", "num", stock));
      row.appendChild(el("td", "num left", left));
      var barCell = el("td"), bar = el("div", "stockbar"), fill = el("i");
      fill.style.width = (stock ? Math.round(100 * left / stock) : 0) + "%";
      bar.appendChild(fill); barCell.appendChild(bar); row.appendChild(barCell);
      body.appendChild(row);
    });
  }

  function renderLive(live) {
    setNumber("kpi-watching", live.watching);
    var list = $("watching");
    list.textContent = "";
    live.compounds.forEach(function (compound) {
      var item = el("li");
      item.appendChild(el("span", "", compound.name));
      item.appendChild(el("b", "", compound.watching + " 人"));
      list.appendChild(item);
    });
  }

  /* --- rounds ----------------------------------------------------------------------- */
  function showEmpty(list, on) {
    var empty = list.querySelector(".empty");
    if (empty) empty.hidden = !on;
  }

  function addRound(round) {
    if (rounds[round.round_id]) return;
    var item = el("li", "round");
    item.setAttribute("data-round-id", round.round_id);
    item.appendChild(el("span", "where", (compounds[String(round.compound_id)] || ("#" + round.compound_id)) +
      " · 轮次 Round #" + round.round_id));
    var bar = el("span", "bar"); bar.appendChild(el("i"));
    item.appendChild(bar);
    item.appendChild(el("span", "countdown", ""));
    if (round.seed_sha256) {  // the round's commitment: its draws, published once it closes, must match it
      var seed = el("span", "seed muted small", "seed sha256 " + round.seed_sha256.slice(0, 16) + "…");
      seed.title = round.seed_sha256;
      item.appendChild(seed);
    }
    $("rounds").insertBefore(item, $("rounds").firstChild);
    rounds[round.round_id] = { opens: Date.parse(round.opens_at), closes: Date.parse(round.closes_at), node: item };
    showEmpty($("rounds"), false);
    tickCountdowns();
  }

  function closeRound(roundId) {
    var round = rounds[roundId];
    if (!round || round.closed) return;
    round.closed = true;
    round.node.classList.add("closed");
    round.node.querySelector(".countdown").textContent = "已结束 Closed";
    var draws = el("a", "draws small", "公开抽签 Draws");  // the seed and every shake, to verify (handheld/verify.py)
    draws.href = "/api/v1/shake-rounds/" + encodeURIComponent(roundId) + "/draws";
    draws.target = "_blank";
    round.node.appendChild(draws);
    setTimeout(function () {
      if (round.node.parentNode) round.node.parentNode.removeChild(round.node);
      delete rounds[roundId];
      showEmpty($("rounds"), !Object.keys(rounds).length);
    }, 15000);
  }

  function tickCountdowns() {
    var now = serverNow();
    Object.keys(rounds).forEach(function (id) {
      var round = rounds[id];
      if (round.closed) return;
      var left = Math.max(0, Math.ceil((round.closes - now) / 1000));
      var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      var countdown = round.node.querySelector(".countdown");
      if (countdown.textContent !== text) countdown.textContent = text;
      var span = Math.max(round.closes - round.opens, 1);
      round.node.querySelector(".bar i").style.width = Math.max(0, Math.min(100, 100 * (round.closes - now) / span)) + "%";
    });
  }

  function addArrival(arrival, fresh) {
    var list = $("arrivals");
    var item = el("li", fresh ? "fresh" : "");
    item.setAttribute("data-arrival-id", arrival.arrival_id);
    item.appendChild(el("time", "", clock(arrival.arrived_at)));
    item.appendChild(el("b", "", arrival.courier.name));
    var distance = arrival.distance_m != null ? " (" + arrival.distance_m + " m)" : "";
    if (arrival.too_far) item.classList.add("too-far");
    item.appendChild(document.createTextNode(" 到达 arrived at " + arrival.compound.name +
      (arrival.too_far ? " · ⛔ 离小区太远，已拒绝 refused: too far from the compound" + distance
                       : " · 开启轮次 opened round #" + arrival.round_id +
                         (arrival.far_from_compound ? " · ⚠ 离小区较远 far from the compound" + distance : ""))));
    list.insertBefore(item, list.firstChild);
    while (list.querySelectorAll("li[data-arrival-id]").length > 30) list.removeChild(list.lastChild);
    showEmpty(list, false);
  }

  /* --- charts ----------------------------------------------------------------------- */
  var rateData = [[], [], []];
  var totalData = [[], [], []];
  (function seed() {
    var bucket = boot.timeline.bucket_seconds;
    var shakesBefore = stats.shakes, winsBefore = stats.wins;
    boot.timeline.points.forEach(function (p) { shakesBefore -= p.shakes; winsBefore -= p.wins; });
    boot.timeline.points.forEach(function (p) {
      shakesBefore += p.shakes; winsBefore += p.wins;
      rateData[0].push(p.t); rateData[1].push(p.shakes / bucket); rateData[2].push(p.wins / bucket);
      totalData[0].push(p.t + bucket); totalData[1].push(shakesBefore); totalData[2].push(winsBefore);
    });
  })();

  function clockLabels(chart, splits) {
    return splits.map(function (seconds) { return clock(seconds * 1000); });
  }

  function makeChart(id, data, names) {
    var box = $(id);
    if (typeof uPlot === "undefined") { box.textContent = "图表库未加载 Chart library missing"; return null; }
    return new uPlot({
      width: box.clientWidth || 480, height: 220,
      scales: { x: { time: true } },
      legend: { live: false },
      series: [{}, { label: names[0], stroke: "#FF6A00", width: 2, fill: "rgba(255,106,0,.08)" },
               { label: names[1], stroke: "#16A34A", width: 2 }],
      axes: [{ incrs: [1, 5, 10, 15, 30, 60, 120, 300, 600, 900], values: clockLabels }, { size: 50 }],
    }, data, box);
  }
  var rateChart = makeChart("chart-rate", rateData, ["摇动/秒 Shakes/s", "中奖/秒 Wins/s"]);
  var totalChart = makeChart("chart-total", totalData, ["摇动 Shakes", "中奖 Wins"]);

  function push(data, t, a, b) {
    data[0].push(t); data[1].push(a); data[2].push(b);
    while (data[0].length && data[0][0] < t - WINDOW_SECONDS) { data[0].shift(); data[1].shift(); data[2].shift(); }
  }

  function tickRates() {
    var t = serverNow() / 1000;
    if (lastTick) {
      var dt = Math.max(t - lastTick.t, 0.001);
      var shakeRate = Math.max(stats.shakes - lastTick.shakes, 0) / dt;
      var winRate = Math.max(stats.wins - lastTick.wins, 0) / dt;
      recentRates.push(shakeRate);
      if (recentRates.length > 3) recentRates.shift();
      var smooth = recentRates.reduce(function (a, b) { return a + b; }, 0) / recentRates.length;
      setNumber("kpi-rate", smooth >= 10 ? Math.round(smooth) : Math.round(smooth * 10) / 10);
      push(rateData, t, shakeRate, winRate);
      push(totalData, t, stats.shakes, stats.wins);
      if (rateChart) rateChart.setData(rateData);
      if (totalChart) totalChart.setData(totalData);
    }
    lastTick = { t: t, shakes: stats.shakes, wins: stats.wins };
  }

  window.addEventListener("resize", function () {
    [["chart-rate", rateChart], ["chart-total", totalChart]].forEach(function (pair) {
      if (pair[1]) pair[1].setSize({ width: $(pair[0]).clientWidth, height: 220 });
    });
  });

  /* --- snapshot and socket ---------------------------------------------------------- */
  function applySnapshot(snapshot) {
    applyStats(snapshot.stats);
    renderLive(snapshot.live);
    var open = {};
    snapshot.rounds.forEach(function (round) { open[round.round_id] = true; addRound(round); });
    Object.keys(rounds).forEach(function (id) { if (!open[id]) closeRound(id); });
    var known = {};
    Array.prototype.forEach.call($("arrivals").querySelectorAll("li[data-arrival-id]"), function (li) {
      known[li.getAttribute("data-arrival-id")] = true;
    });
    snapshot.arrivals.slice().reverse().forEach(function (arrival) {
      if (!known[String(arrival.arrival_id)]) addArrival(arrival, false);
    });
  }

  function resync() {
    fetch(root.getAttribute("data-snapshot-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (snapshot) {
        if (!snapshot) return;
        clockOffset = Date.parse(snapshot.server_now) - Date.now();
        applySnapshot(snapshot);
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  applySnapshot(boot);
  setInterval(tickCountdowns, 250);
  setInterval(tickRates, 1000);
  tickRates();

  if (typeof io === "undefined") { setRealtime("offline", "实时库未加载 Socket library missing"); return; }
  var connectedBefore = false;
  // The page's token is short-lived: the first connect uses it, a reconnect asks for a fresh one
  // (which the console answers only while this sign-in lasts).
  var pageToken = boot.token;
  function socketAuth(callback) {
    if (pageToken) { var first = pageToken; pageToken = null; callback({ token: first }); return; }
    fetch(root.getAttribute("data-token-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : {}; })
      .then(function (body) { callback({ token: body.token || "" }); })
      .catch(function () { callback({ token: "" }); });
  }
  var socket = io("/console", { transports: ["websocket"], auth: socketAuth });
  socket.on("connect", function () {
    socket.emit("watch_campaign", { campaign_id: campaignId }, function (ack) {
      if (ack && ack.ok) setRealtime("live", "实时 Live");
      else setRealtime("offline", "无法订阅 Cannot watch: " + ((ack && ack.error && ack.error.message) || "?"));
    });
    if (connectedBefore) resync();
    connectedBefore = true;
  });
  socket.on("disconnect", function () { setRealtime("offline", "已断开，重连中 Offline, reconnecting…"); });
  socket.on("connect_error", function () { setRealtime("offline", "连接失败，请刷新页面 Cannot connect: reload the page"); });
  socket.on("campaign_stats", function (next) { if (next.campaign_id === campaignId) applyStats(next); });
  socket.on("campaign_live", function (live) { if (live.campaign_id === campaignId) renderLive(live); });
  socket.on("arrival", function (arrival) { if (arrival.campaign_id === campaignId) addArrival(arrival, true); });
  socket.on("round_opened", function (round) {
    if (round.campaign && round.campaign.id === campaignId) addRound(round);
  });
  socket.on("round_closed", function (round) { closeRound(round.round_id); });
})();
