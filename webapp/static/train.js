// The training page: polls /api/train/<run>/log for the lines the trainer wrote since the last poll and redraws
// loss, learning rate, validation bpb and tokens/s; shows the run's report (make report) once it exists.
"use strict";

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
const log = { run: "", offset: 0, steps: [], evals: [], events: [], samples: null };

function redraw() {
  const series = (key, rows = log.steps) => rows.filter((r) => r[key] !== undefined && r[key] !== null).map((r) => [r.step, r[key]]);
  drawLineChart($("chart-loss"), [{ label: "train loss", color: "#c2410c", points: series("loss") },
                                   { label: "val loss", color: "#1d4ed8", points: series("val_loss", log.evals) }], { xLabel: "step" });
  drawLineChart($("chart-lr"), [{ label: "learning rate", color: "#7c3aed", points: series("lr") }], { xLabel: "step" });
  drawLineChart($("chart-bpb"), [{ label: "val bits per byte", color: "#15803d", points: series("val_bpb", log.evals) }], { xLabel: "step" });
  drawLineChart($("chart-speed"), [{ label: "tokens/s", color: "#0e7490", points: series("tokens_per_s") }], { xLabel: "step" });
}

function showEvents() {
  const shown = log.events.filter((e) => e.event !== "samples" && e.event !== "eval").slice(-12);
  $("events").replaceChildren(...shown.map((e) => {
    const { event, step, elapsed, ...rest } = e;
    return element("li", {}, `step ${step}: ${event} ${Object.values(rest).join(" ")}`);
  }));
  if (log.samples) {
    $("samples").className = "";
    $("samples").replaceChildren(element("p", { class: "muted" }, `at step ${log.samples.step}`),
      ...Object.entries(log.samples.samples).map(([prompt, text]) => element("p", {}, element("b", {}, prompt), text)));
  }
}

function showStatus() {
  const last = log.steps[log.steps.length - 1];
  const lastEval = log.evals[log.evals.length - 1];
  const parts = last ? [`step ${last.step}`, `loss ${formatNumber(last.loss)}`, `${formatNumber(last.tokens_per_s)} tokens/s`,
                        `${Math.round(last.elapsed)} s into the run`] : ["no steps logged yet"];
  if (lastEval) parts.push(`val bpb ${formatNumber(lastEval.val_bpb)} at step ${lastEval.step}`);
  $("status").textContent = `${parts.join(" · ")} · read ${new Date().toLocaleTimeString()}`;
  $("status").dataset.steps = String(log.steps.length);
}

function showReport(exists) {
  if (!exists || !$("report").hidden) return;
  const url = `/train/${encodeURIComponent(log.run)}/report.html`;
  $("report").hidden = false;
  $("report-link").href = url;
  $("report-frame").src = url;
}

async function poll() {
  try {
    const update = await fetchJSON(`/api/train/${encodeURIComponent(log.run)}/log?offset=${log.offset}`);
    if (update.reset) { log.steps = []; log.evals = []; log.events = []; }  // the log was rewritten (a resume)
    log.offset = update.offset;
    log.steps.push(...update.steps);
    for (const e of update.events) {
      if (e.event === "eval") log.evals.push(e);
      if (e.event === "samples") log.samples = e;
      log.events.push(e);
    }
    if (update.steps.length || update.events.length || update.reset) { redraw(); showEvents(); }
    showStatus();
    showReport(update.report);
    setTimeout(poll, update.more ? 0 : POLL_MS);
  } catch (err) {
    $("status").replaceChildren(element("span", { class: "error" }, err.message));
    setTimeout(poll, POLL_MS * 2);
  }
}

async function showRunList() {
  const listing = await fetchJSON("/api/train");
  $("status").textContent = `Looking in: ${listing.folders.join(", ")}`;
  const items = listing.runs.map((r) => element("li", {}, element("a", { href: `/train/${encodeURIComponent(r)}` }, r)));
  $("run-list").replaceChildren(items.length ? element("ul", {}, ...items) : element("p", {}, "No training runs found (a folder with log.jsonl)."));
}

async function start() {
  renderHeader("train");
  log.run = pathArgument("/train");
  if (!log.run) {
    showRunList().catch((err) => $("status").replaceChildren(element("span", { class: "error" }, err.message)));
    return;
  }
  $("title").textContent = `Training run ${log.run}`;
  $("run").hidden = false;
  redraw();
  window.addEventListener("resize", redraw);
  poll();
}

start();
