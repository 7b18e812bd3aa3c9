// The data page: a pipeline run's stage cards (books, what was set aside and why, plots) and a browser over the
// documents each stage kept or set aside, paged and searchable. The browser's state lives in the URL's hash.
"use strict";

const PAGE = 20;
const $ = (id) => document.getElementById(id);
const view = { run: "", stages: [], stage: "", set: "output", reason: "", q: "", offset: 0 };

function booksTable(books) {
  const rows = [["documents in", books.documents_in], ["kept (out)", books.documents_out],
                ["set aside", books.documents_set_aside]];
  if (books.documents_added) rows.push(["added", books.documents_added]);
  rows.push(["characters in → out", `${formatNumber(books.characters_in)} → ${formatNumber(books.characters_out)}`]);
  rows.push(["books balance", books.balanced ? "yes: in (+ added) = out + set aside" : "NO: see stats.json"]);
  return element("table", { class: "books" }, element("tbody", {}, ...rows.map(([k, v]) =>
    element("tr", {}, element("td", {}, k), element("td", { class: "n" }, typeof v === "number" ? formatNumber(v) : v)))));
}

function setFor(stage, reason) {
  const match = stage.sets.find((s) => s.reasons.includes(reason));
  return match ? match.set : (stage.sets.find((s) => s.kind !== "kept") || { set: "output" }).set;
}

function reasonsTable(stage) {
  const rows = [];
  for (const [filter, reasons] of Object.entries(stage.set_aside_by_filter)) {
    for (const [reason, count] of Object.entries(reasons)) {
      if (!count) continue;
      const show = element("a", { href: "#", class: "show-reason", "data-reason": reason, onclick: (e) => {
        e.preventDefault(); browse({ stage: stage.stage, set: setFor(stage, reason), reason, q: "", offset: 0 });
      } }, "show documents");
      rows.push(element("tr", {}, element("td", {}, filter), element("td", {}, element("span", { class: "chip reason" }, reason)),
                        element("td", { class: "n" }, formatNumber(count)), element("td", {}, show)));
    }
  }
  if (!rows.length) return element("p", { class: "muted" }, "Nothing set aside.");
  const head = element("tr", {}, ...["filter", "reason", "documents", ""].map((h) => element("th", {}, h)));
  return element("table", {}, element("thead", {}, head), element("tbody", {}, ...rows));
}

// Copies a stage added (05_hinglish's romanised copies, which 06_tokenize carries on): documents that came in,
// not ones that were set aside; nothing when the stage added none.
function addedSection(stage) {
  const rows = [];
  for (const [step, added] of Object.entries(stage.added_by_step || {})) {
    for (const [kind, count] of Object.entries(added)) {
      if (count) rows.push(element("tr", {}, element("td", {}, step), element("td", {}, kind), element("td", { class: "n" }, formatNumber(count))));
    }
  }
  if (!rows.length) return [];
  const head = element("tr", {}, ...["step", "copy", "documents added"].map((h) => element("th", {}, h)));
  return [element("h3", {}, "Added, by step"),
          element("table", { class: "added" }, element("thead", {}, head), element("tbody", {}, ...rows))];
}

function stagePanel(stage) {
  const kept = element("a", { href: "#", onclick: (e) => { e.preventDefault(); browse({ stage: stage.stage, set: "output", reason: "", q: "", offset: 0 }); } }, "browse kept documents");
  const links = [kept];
  if (stage.card_markdown) links.push(" · ", element("a", { href: `/cards/${encodeURIComponent(view.run)}/${stage.card_markdown}` }, "card (Markdown)"));
  const plots = Object.entries(stage.plots).map(([kind, file]) =>
    element("img", { src: `/cards/${encodeURIComponent(view.run)}/${file}`, alt: `${stage.stage} ${kind}`, title: kind }));
  return element("section", { class: "panel stage", id: `stage-${stage.stage}` },
    element("h2", {}, stage.stage), element("p", { class: "muted" }, stage.summary_line || ""),
    booksTable(stage.books), element("h3", {}, "Set aside, by filter and reason"), reasonsTable(stage),
    ...addedSection(stage), element("p", {}, ...links), element("div", { class: "plots" }, ...plots));
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => element("option", { value: v }, label)));
  select.value = value;
}

function syncControls() {
  const stage = view.stages.find((s) => s.stage === view.stage) || view.stages[0];
  view.stage = stage.stage;
  fillSelect($("stage"), view.stages.map((s) => [s.stage, s.stage]), view.stage);
  fillSelect($("set"), stage.sets.map((s) => [s.set, s.kind === "kept" ? "kept (output)" : s.set]), view.set);
  const current = stage.sets.find((s) => s.set === view.set) || { reasons: [] };
  fillSelect($("reason"), [["", "any reason"], ...current.reasons.map((r) => [r, r])], view.reason);
  $("search").value = view.q;
}

function documentRow(doc) {
  const scores = Object.entries(doc.scores).map(([k, v]) => element("span", { class: "chip" }, `${k} ${formatNumber(v)}`));
  const where = `${doc.file || "?"}:${doc.line ?? "?"}` + (doc.source ? ` · ${doc.source}` : "");
  return element("div", { class: "document" },
    element("div", {}, element("span", { class: "where" }, where), " ",
      doc.reason ? element("span", { class: "chip reason" }, doc.reason) : "", doc.detail ? ` ${doc.detail}` : "", " ",
      element("button", { type: "button", class: "open-document", onclick: () => openDocument(doc) }, "Open")),
    element("div", { class: "snippet", lang: "hi" }, doc.text + (doc.truncated ? " …" : "")),
    element("div", {}, ...scores));
}

async function loadDocuments() {
  const params = new URLSearchParams({ set: view.set, reason: view.reason, q: view.q, offset: view.offset, limit: PAGE });
  $("documents").replaceChildren(element("p", { class: "muted" }, "reading…"));
  try {
    const page = await fetchJSON(`/api/runs/${encodeURIComponent(view.run)}/${view.stage}/documents?${params}`);
    const rows = page.documents.map(documentRow);
    $("documents").replaceChildren(...(rows.length ? rows : [element("p", { class: "muted" }, "No documents match.")]));
    $("page").textContent = rows.length ? `${view.offset + 1}–${view.offset + rows.length}${page.has_more ? "" : " (last page)"}` : "";
    $("previous").disabled = view.offset === 0;
    $("next").disabled = !page.has_more;
  } catch (err) {
    $("documents").replaceChildren(element("p", { class: "error" }, err.message));
  }
}

async function openDocument(doc) {
  const params = new URLSearchParams({ set: view.set, shard: doc.shard, line: doc.shard_line });
  const full = await fetchJSON(`/api/runs/${encodeURIComponent(view.run)}/${view.stage}/document?${params}`);
  $("document-title").textContent = `${full.file || "?"} line ${full.line ?? "?"}`;
  $("document-why").textContent = full.reason ? `Set aside: ${full.reason}${full.detail ? ` (${full.detail})` : ""}` : "Kept.";
  $("document-text").textContent = full.text;
  $("document-metadata").replaceChildren(
    element("tr", {}, element("td", {}, "id"), element("td", {}, full.id)),
    element("tr", {}, element("td", {}, "stored in"), element("td", {}, `${view.stage}/${view.set}/${full.shard} line ${full.shard_line}`)),
    ...Object.entries(full.metadata).map(([k, v]) => element("tr", {}, element("td", {}, k), element("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v)))));
  $("document").showModal();
}

function browse(changes) {
  Object.assign(view, changes);
  location.hash = new URLSearchParams({ stage: view.stage, set: view.set, reason: view.reason, q: view.q, offset: view.offset });
  syncControls();
  $("browser").hidden = false;
  loadDocuments();
  if (changes.stage) $("browser").scrollIntoView();
}

function wireControls() {
  $("stage").addEventListener("change", () => browse({ stage: $("stage").value, set: "output", reason: "", offset: 0 }));
  $("set").addEventListener("change", () => browse({ set: $("set").value, reason: "", offset: 0 }));
  $("reason").addEventListener("change", () => browse({ reason: $("reason").value, offset: 0 }));
  $("search").addEventListener("change", () => browse({ q: $("search").value, offset: 0 }));
  $("previous").addEventListener("click", () => browse({ offset: Math.max(0, view.offset - PAGE) }));
  $("next").addEventListener("click", () => browse({ offset: view.offset + PAGE }));
}

async function showRunList() {
  const listing = await fetchJSON("/api/runs");
  $("status").textContent = `Work folder: ${listing.workdir}`;
  const items = listing.runs.map((r) => element("li", {}, element("a", { href: `/runs/${encodeURIComponent(r)}` }, r)));
  $("run-list").replaceChildren(items.length ? element("ul", {}, ...items) : element("p", {}, "No pipeline runs here yet (make demo, or python -m pipeline run CONFIG)."));
}

async function showRun() {
  const run = await fetchJSON(`/api/runs/${encodeURIComponent(view.run)}`);
  view.stages = run.stages;
  $("title").textContent = `Pipeline run ${view.run}`;
  $("stages").replaceChildren(...run.stages.map(stagePanel));
  wireControls();
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("stage")) {
    browse({ stage: hash.get("stage"), set: hash.get("set") || "output", reason: hash.get("reason") || "",
             q: hash.get("q") || "", offset: Number(hash.get("offset") || 0) });
  }
}

async function start() {
  renderHeader("runs");
  view.run = pathArgument("/runs");
  try {
    await (view.run ? showRun() : showRunList());
  } catch (err) {
    $("status").replaceChildren(element("span", { class: "error" }, err.message));
  }
}

start();
