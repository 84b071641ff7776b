/* Xiaoge console: confirmations, and the campaign form's prize rows with their odds made plain.
   The pages work without it; it only adds rows and explains the numbers as they are typed. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  var form = document.getElementById("campaign-form");
  if (!form) return;
  var rows = document.querySelector("#prize-rows tbody");
  var template = document.getElementById("prize-row-template");
  var summary = document.getElementById("pool-summary");
  var windowInput = document.getElementById(summary.getAttribute("data-window-field"));

  function number(text) {
    var value = parseFloat(String(text || "").trim());
    return isFinite(value) ? value : null;
  }
  function fmt(value, digits) {
    return Number(value.toPrecision(digits || 3)).toLocaleString("en-US");
  }
  function part(row, name) { return row.querySelector('[data-part="' + name + '"]'); }

  function explain() {
    var seconds = number(windowInput && windowInput.value);
    var before = 0, total = 0, lines = 0;  // the odds lie end to end on [0, 1) (app/console/odds.py)
    Array.prototype.forEach.call(rows.querySelectorAll(".prize-row"), function (row) {
      var perRound = number(part(row, "per_round").value);
      var pct = number(part(row, "win_probability").value);
      var out = part(row, "odds");
      if (!part(row, "prize").value || !perRound || perRound < 1 || pct === null || pct <= 0 || pct > 100) {
        out.textContent = "";
        return;
      }
      var effective = Math.max(0, Math.min(pct / 100, 1 - before));
      before += pct / 100;
      total += perRound;
      lines += 1;
      var text = "约每 " + fmt(1 / effective) + " 次摇中 1 次，一轮约需摇 " + fmt(perRound / effective) + " 次送完" +
        " · about 1 in " + fmt(1 / effective) + " shakes; ~" + fmt(perRound / effective) + " shakes to give out a round's " + perRound;
      if (seconds && seconds > 0) {
        text += "。开始即放 1 份，之后每 " + fmt(seconds / perRound) + " 秒 1 份 · 1 at once, then 1 every " + fmt(seconds / perRound) + " s";
      }
      out.textContent = text;
    });
    summary.textContent = lines ? ("每轮共 " + total + " 份奖品；库存充足时每次摇动中奖约 " + fmt(Math.min(before, 1) * 100) + "%。" +
      " · Each round holds " + total + " prizes; while stock lasts a shake wins something " + fmt(Math.min(before, 1) * 100) + "% of the time.") : "";
  }

  function nextIndex() {
    var highest = -1;
    Array.prototype.forEach.call(rows.querySelectorAll(".prize-row"), function (row) {
      highest = Math.max(highest, parseInt(row.getAttribute("data-row"), 10) || 0);
    });
    return highest + 1;
  }

  document.getElementById("add-prize").addEventListener("click", function () {
    var index = String(nextIndex());
    var html = template.innerHTML.replace(/__N__/g, index);
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    rows.appendChild(row);
    part(row, "prize").focus();
    explain();
  });

  rows.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-prize")) return;
    var row = event.target.closest(".prize-row");
    if (rows.querySelectorAll(".prize-row").length > 1) row.parentNode.removeChild(row);
    else Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (el) { el.value = ""; });
    explain();
  });

  form.addEventListener("input", explain);
  form.addEventListener("change", explain);
  explain();
})();

/* "Pick by portrait" above a form's compound choice: asks which compounds match (a category's
   share of spend, price-sensitive) and checks exactly those boxes. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".portrait-filter"), function (filter) {
    var boxes = document.getElementById(filter.getAttribute("data-for"));
    function part(name) { return filter.querySelector('[data-part="' + name + '"]'); }
    filter.hidden = false;
    part("apply").addEventListener("click", function () {
      var query = new URLSearchParams();
      var category = part("category").value.trim();
      var share = parseFloat(part("min_share").value);
      if (category) query.set("category", category);
      if (isFinite(share)) query.set("min_share", String(share / 100));
      if (part("price_sensitive").checked) query.set("price_sensitive", "true");
      fetch(filter.getAttribute("data-url") + "?" + query.toString(), { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : Promise.reject(answer.status); })
        .then(function (body) {
          var wanted = body.compound_ids.map(String);
          Array.prototype.forEach.call(boxes.querySelectorAll('input[type="checkbox"]'), function (box) {
            box.checked = wanted.indexOf(box.value) !== -1;
          });
          part("result").textContent = "选中 " + wanted.length + " 个小区 compounds selected";
        })
        .catch(function () { part("result").textContent = "无法筛选 Could not filter"; });
    });
  });
})();
