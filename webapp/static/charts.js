// Line charts on a <canvas>, drawn here (no chart library): axes with round ticks, one or more series, a legend.
"use strict";

function niceTicks(low, high, count) {
  if (!(high > low)) { high = low + (Math.abs(low) || 1); }
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];  // from a round value at or below the lowest point to one at or above the highest
  for (let t = Math.floor(low / step) * step; t < high + step * (1 - 1e-9); t += step) ticks.push(t);
  return ticks;
}

function tickLabel(value) {
  const size = Math.abs(value);
  if (size === 0) return "0";
  if (size >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (size >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (size < 1e-2) return value.toExponential(0);
  return String(Number(value.toPrecision(3)));
}

// series: [{label, color, points: [[x, y], ...]}]; options: {xLabel}
function drawLineChart(canvas, series, options = {}) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = "12px system-ui, sans-serif";
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (!all.length) {
    g.fillStyle = "#667085"; g.fillText("no data yet", width / 2 - 30, height / 2);
    return;
  }
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 5), yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const box = { left: 56, right: width - 12, top: 22, bottom: height - 30 };
  const px = (x) => box.left + ((x - x0) / (x1 - x0 || 1)) * (box.right - box.left);
  const py = (y) => box.bottom - ((y - y0) / (y1 - y0 || 1)) * (box.bottom - box.top);
  g.strokeStyle = "#e4e7ee"; g.fillStyle = "#667085"; g.lineWidth = 1;
  for (const t of yTicks) {
    g.beginPath(); g.moveTo(box.left, py(t)); g.lineTo(box.right, py(t)); g.stroke();
    g.fillText(tickLabel(t), 6, py(t) + 4);
  }
  for (const t of xTicks) g.fillText(tickLabel(t), px(t) - 8, box.bottom + 16);
  if (options.xLabel) g.fillText(options.xLabel, box.right - 30, height - 2);
  let legendX = box.left;
  for (const s of series) {
    const points = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    g.strokeStyle = s.color; g.fillStyle = s.color; g.lineWidth = 1.6;
    g.beginPath();
    points.forEach(([x, y], i) => (i ? g.lineTo(px(x), py(y)) : g.moveTo(px(x), py(y))));
    g.stroke();
    if (points.length < 30) for (const [x, y] of points) { g.beginPath(); g.arc(px(x), py(y), 2.5, 0, 7); g.fill(); }
    g.fillRect(legendX, 6, 10, 10);
    g.fillStyle = "#1d2330"; g.fillText(s.label, legendX + 14, 15);
    legendX += g.measureText(s.label).width + 32;
  }
  canvas.dataset.points = String(all.length);
}
