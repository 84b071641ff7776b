/* The compound portrait's charts (uPlot bars): categories beside the city, price bands, hours, weekdays. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("portrait-boot").textContent);
  var ORANGE = "#FF6A00", GREY = "#94A3B8";

  function percent(shares) { return shares.map(function (s) { return Math.round(s * 1000) / 10; }); }

  function bars(id, labels, series) {
    var box = document.getElementById(id);
    if (typeof uPlot === "undefined") { box.textContent = "图表库未加载 Chart library missing"; return; }
    var xs = labels.map(function (_, n) { return n; });
    new uPlot({
      width: box.clientWidth || 480, height: 220,
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] },
                y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
      legend: { live: false },
      // A second series (the city) is drawn as a narrower bar over the first.
      series: [{}].concat(series.map(function (s, n) {
        return { label: s.label, fill: s.colour, stroke: s.colour, width: 0, points: { show: false },
                 paths: uPlot.paths.bars({ size: [n === 0 ? 0.7 : 0.3, 80] }) };
      })),
      axes: [{ splits: function () { return xs; }, values: function () { return labels; } }, { size: 50 }],
    }, [xs].concat(series.map(function (s) { return s.values; })), box);
    box.setAttribute("data-drawn", String(labels.length));
  }

  var categories = Object.keys(Object.assign({}, boot.city_category_shares, boot.category_shares)).sort();
  bars("chart-categories", categories, [
    { label: "本小区 This compound %", colour: ORANGE,
      values: percent(categories.map(function (c) { return boot.category_shares[c] || 0; })) },
    { label: "全市 City %", colour: GREY,
      values: percent(categories.map(function (c) { return boot.city_category_shares[c] || 0; })) },
  ]);
  bars("chart-bands", boot.price_bands.map(function (b) { return b.max_fen === null ? "更贵 more" : "≤¥" + b.max_fen / 100; }),
       [{ label: "消费占比 Share of spend %", colour: ORANGE, values: percent(boot.price_bands.map(function (b) { return b.share; })) }]);
  bars("chart-hours", boot.hours.map(function (_, h) { return String(h); }),
       [{ label: "订单 Orders", colour: ORANGE, values: boot.hours }]);
  bars("chart-weekdays", ["一 Mon", "二 Tue", "三 Wed", "四 Thu", "五 Fri", "六 Sat", "日 Sun"],
       [{ label: "订单 Orders", colour: ORANGE, values: boot.weekdays }]);
})();
