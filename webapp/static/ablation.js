// The ablations page: the list of ablation.json files under the training folders, and the chosen one's table.
"use strict";

function showReport(ablation) {
  document.getElementById("report").hidden = false;
  document.getElementById("report-title").textContent =
    `${ablation.ablation}: ${ablation.units_finished} of ${ablation.units_total} units, ${ablation.finished}`;
  document.getElementById("report-frame").src = `/ablations/${encodeURIComponent(ablation.name)}/report.html`;
}

async function loadAblations() {
  const status = document.getElementById("status");
  try {
    const body = await fetchJSON("/api/ablations");
    const list = document.getElementById("ablation-list");
    if (!body.ablations.length) {
      status.textContent = `No ablation.json under ${body.folders.join(", ")} (make ablate writes one).`;
      return;
    }
    const rows = body.ablations.map((a) => element("tr", {},
      element("td", {}, a.report ? element("a", { href: "#", onclick: (e) => { e.preventDefault(); showReport(a); } },
        a.name) : a.name),
      element("td", {}, a.arms.join(", ")), element("td", {}, a.baseline), element("td", {}, a.seeds.join(", ")),
      element("td", {}, `${a.units_finished} / ${a.units_total}`), element("td", {}, `${a.finished} · ${a.machine}`)));
    list.append(element("table", {}, element("tr", {}, ...["ablation", "arms", "baseline", "seeds", "units",
      "measured"].map((h) => element("th", {}, h))), ...rows));
    const first = body.ablations.find((a) => a.report);
    if (first) showReport(first);
  } catch (err) {
    status.textContent = `Could not list ablations: ${err.message}`;
  }
}

renderHeader("ablations");
loadAblations();
