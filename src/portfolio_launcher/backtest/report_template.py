"""The report page's HTML, CSS and chart-drawing JavaScript as one self-contained template.

No network: no CDN, fonts or external scripts. The data arrives as JSON inside a
`<script type="application/json">` element; the script draws every chart as SVG, then marks
`<body data-rendered="ok">` (a `window.onerror` handler marks `data-error` instead), which lets
a headless browser test prove the charts were really drawn. Placeholders are `@@NAME@@`.
"""

from __future__ import annotations

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #1d2733; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #555; font-size: 13px; }
.meta td { padding: 1px 12px 1px 0; }
.chart { margin: 8px 0 20px; }
.chart svg { display: block; width: 100%; max-width: 1000px; height: auto; }
.chart text { font-size: 11px; fill: #444; }
.chart .title { font-size: 13px; font-weight: 600; fill: #1d2733; }
.scroll { overflow-x: auto; }
table.grid { border-collapse: collapse; font-size: 12px; }
table.grid th, table.grid td { border: 1px solid #d6dbe1; padding: 3px 8px; text-align: right; }
table.grid th:first-child, table.grid td:first-child { text-align: left; }
table.grid th { background: #f1f4f7; }
#error { display: none; color: #a00; font-weight: 600; }
body[data-error] #error { display: block; }
</style>
</head>
<body>
<h1>@@TITLE@@</h1>
<div id="error">The charts could not be drawn: <span id="error-text"></span></div>
@@META@@
<h2>Charts</h2>
<div id="charts"></div>
<h2>Metrics</h2>
<div class="scroll">@@METRICS@@</div>
<h2>Cycles</h2>
<div class="scroll">@@CYCLES@@</div>
<script type="application/json" id="report-data">@@DATA@@</script>
<script>
"use strict";
window.onerror = function (message) {
  document.body.setAttribute("data-error", String(message));
  document.getElementById("error-text").textContent = String(message);
};
(function () {
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var W = 1000, BASE_H = 300, LEFT = 70, RIGHT = 16, TOP = 28, BOTTOM = 40;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) { node.setAttribute(key, String(attrs[key])); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, value, attrs) {
    var node = el("text", attrs || {}, parent);
    node.setAttribute("x", String(x));
    node.setAttribute("y", String(y));
    node.textContent = value;
    return node;
  }
  function niceStep(span, count) {
    var raw = span / count;
    var power = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var unit = raw / power;
    var nice = unit < 1.5 ? 1 : unit < 3 ? 2 : unit < 7 ? 5 : 10;
    return nice * power;
  }
  function pad2(n) { return n < 10 ? "0" + n : String(n); }
  function timeLabel(ms, span) {
    var d = new Date(ms);
    var day = d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate());
    if (span > 5 * 86400000) { return day; }
    return day + " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
  }
  function valueLabel(v, unit) {
    var abs = Math.abs(v);
    var s = abs >= 1e6 ? (v / 1e6).toFixed(2) + "M" : abs >= 1e4 ? (v / 1e3).toFixed(1) + "k"
      : abs >= 100 ? v.toFixed(0) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
    return unit === "%" ? s + " %" : s;
  }

  function drawChart(host, chart) {
    var box = document.createElement("div");
    box.className = "chart";
    box.id = "chart-" + chart.id;
    host.appendChild(box);
    // Legend items flow left to right below the plot, wrapping, so any number of bots fits.
    var items = [], lx = LEFT, row = 0;
    chart.series.forEach(function (s, n) {
      var label = s.name.length > 32 ? s.name.slice(0, 31) + "\u2026" : s.name;
      var width = 24 + label.length * 7;
      if (lx + width > W - RIGHT && lx > LEFT) { lx = LEFT; row += 1; }
      items.push({label: label, x: lx, row: row, color: COLORS[n % COLORS.length]});
      lx += width;
    });
    var H = BASE_H + 18 * (row + 1), ph = BASE_H - TOP - BOTTOM;
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img"}, box);
    text(svg, LEFT, 16, chart.title, {"class": "title"});
    var xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    chart.series.forEach(function (s) {
      for (var i = 0; i < s.t.length; i++) {
        if (s.t[i] < xmin) { xmin = s.t[i]; }
        if (s.t[i] > xmax) { xmax = s.t[i]; }
        if (s.v[i] < ymin) { ymin = s.v[i]; }
        if (s.v[i] > ymax) { ymax = s.v[i]; }
      }
    });
    if (!isFinite(xmin)) { text(svg, LEFT, BASE_H / 2, "no data"); return; }
    if (xmax === xmin) { xmax = xmin + 1; }
    if (ymax - ymin < 1e-9 * Math.max(1, Math.abs(ymax))) { ymin -= 1; ymax += 1; }
    var ystep = niceStep(ymax - ymin, 5);
    ymin = Math.floor(ymin / ystep) * ystep;
    ymax = Math.ceil(ymax / ystep) * ystep;
    var pw = W - LEFT - RIGHT;
    function X(t) { return LEFT + (t - xmin) / (xmax - xmin) * pw; }
    function Y(v) { return TOP + (ymax - v) / (ymax - ymin) * ph; }
    var axes = el("g", {"class": "axes", stroke: "#99a3ad", "stroke-width": 1}, svg);
    for (var y = ymin; y <= ymax + ystep / 2; y += ystep) {
      el("line", {x1: LEFT, x2: W - RIGHT, y1: Y(y), y2: Y(y), stroke: "#e6e9ed"}, axes);
      text(svg, LEFT - 6, Y(y) + 4, valueLabel(y, chart.unit), {"text-anchor": "end",
        "class": "ytick"});
    }
    var xticks = 6;
    for (var k = 0; k <= xticks; k++) {
      var t = xmin + (xmax - xmin) * k / xticks;
      el("line", {x1: X(t), x2: X(t), y1: TOP + ph, y2: TOP + ph + 5}, axes);
      var anchor = k === 0 ? "start" : k === xticks ? "end" : "middle";
      text(svg, X(t), TOP + ph + 18, timeLabel(t, xmax - xmin), {"text-anchor": anchor,
        "class": "xtick"});
    }
    el("line", {x1: LEFT, x2: LEFT, y1: TOP, y2: TOP + ph}, axes);
    el("line", {x1: LEFT, x2: W - RIGHT, y1: TOP + ph, y2: TOP + ph}, axes);
    text(svg, LEFT + pw / 2, BASE_H - 6, "time (UTC)", {"text-anchor": "middle"});
    var lines = el("g", {"class": "lines", fill: "none", "stroke-width": 1.5}, svg);
    var legend = el("g", {"class": "legend"}, svg);
    chart.series.forEach(function (s, n) {
      var color = items[n].color;
      var d = [];
      for (var i = 0; i < s.t.length; i++) {
        d.push((i ? "L" : "M") + X(s.t[i]).toFixed(1) + " " + Y(s.v[i]).toFixed(1));
      }
      var path = el("path", {d: d.join(" "), stroke: color, "data-points": s.t.length}, lines);
      path.setAttribute("data-series", s.name);
      if (chart.fill) {
        var base = Y(Math.min(0, ymax)).toFixed(1);
        var area = d.join(" ") + " L" + X(s.t[s.t.length - 1]).toFixed(1) + " " + base +
          " L" + X(s.t[0]).toFixed(1) + " " + base + " Z";
        el("path", {d: area, fill: color, "fill-opacity": 0.18, stroke: "none"}, lines);
      }
      var y0 = BASE_H + 18 * items[n].row;
      var item = el("g", {"class": "legend-item"}, legend);
      el("rect", {x: items[n].x, y: y0 + 2, width: 12, height: 8, fill: color}, item);
      text(item, items[n].x + 16, y0 + 10, items[n].label);
    });
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var host = document.getElementById("charts");
  data.charts.forEach(function (chart) { drawChart(host, chart); });
  if (!document.body.hasAttribute("data-error")) {
    document.body.setAttribute("data-rendered", "ok");
  }
})();
</script>
</body>
</html>
"""
