"""A stage's books: documents in, added (stage 05's copies), kept, and set aside per filter and reason, from
datatrove's task stats.

The per-task files `logs/stats/NNNNN.json` are merged rather than datatrove's `logs/stats.json`, which
holds only the tasks of the last invocation and so undercounts after a resumed run.
"""

from __future__ import annotations

import json
import re

from datatrove.utils.stats import PipelineStats

from pipeline.dedup.steps import NEAR_DUPLICATE
from pipeline.documents import read_documents
from pipeline.workdir import StagePaths

# stats.json lists where set-aside documents came from, this many per filter (all counts are complete).
MAX_LISTED_PER_FILTER = 1000

READER, FILTER, WRITER, DEDUP = "📖 - READER", "🔻 - FILTER", "💽 - WRITER", "🫂 - DEDUP"


def _step_label(name: str) -> str:
    """'🔻 - FILTER: 🧯 Malformed records' → 'Malformed records' (plots have no emoji font)."""
    return re.sub(r"^\W+", "", name.split(": ", 1)[1])


def _total(value) -> int:
    return int(value["total"] if isinstance(value, dict) else value)


def merged_task_stats(paths: StagePaths) -> list[dict]:
    files = sorted((paths.logs / "stats").glob("*.json"))
    merged = sum((PipelineStats.from_json(json.loads(f.read_text())) for f in files), start=PipelineStats())
    return json.loads(merged.to_json()) if merged.stats else []


def set_aside_records(paths: StagePaths, per_filter: int = MAX_LISTED_PER_FILTER) -> list[dict]:
    """Where set-aside documents came from (file, line, reason, detail): up to `per_filter` per filter."""
    listed = []
    for folder in sorted(p for root in (paths.rejected, paths.removed) if root.exists() for p in root.glob("*")):
        for n, doc in enumerate(read_documents([folder], per_filter, missing_ok=True)):
            if n >= per_filter:
                break
            meta = doc.metadata
            listed.append(
                {
                    "filter": folder.name,
                    "reason": meta.get("filter_reason", "unspecified"),
                    "source": meta.get("source"),
                    "file": meta.get("file"),
                    "line": meta.get("line"),
                    "detail": meta.get("ingest_error_detail", ""),
                    "id": doc.id,
                }
            )
    return listed


def summarize_stage(paths: StagePaths, tasks: int) -> dict:
    """Counts for the card; `balanced` says whether in == out + set aside holds exactly."""
    steps = merged_task_stats(paths)
    completed = (
        len(list((paths.logs / "completions").glob("*"))) if (paths.logs / "completions").exists() else 0
    )
    docs_in = chars_in = bytes_in = docs_out = chars_out = 0
    rejected: dict[str, dict[str, int]] = {}
    changed: dict[str, dict[str, int]] = {}
    added: dict[str, dict[str, int]] = {}
    for step in steps:
        name, stats = step["name"], step["stats"]
        if name.startswith(READER):
            docs_in += _total(stats.get("documents", 0))
            chars_in += _total(stats.get("doc_len", 0))
            bytes_in += _total(stats.get("input_bytes", 0))
        elif name.startswith(FILTER):
            step_name = _step_label(name)
            reasons = {
                k.removeprefix("dropped_"): _total(v) for k, v in stats.items() if k.startswith("dropped_")
            }
            unexplained = _total(stats.get("dropped", 0)) - sum(reasons.values())
            if unexplained:
                reasons["unspecified"] = unexplained
            rejected[step_name] = reasons
        elif name.startswith(DEDUP) and "dropped" in stats:  # MinhashDedupFilter: near duplicates removed
            rejected[_step_label(name)] = {NEAR_DUPLICATE: _total(stats["dropped"])}
        elif name.startswith(WRITER):
            docs_out += _total(stats.get("total", 0))
            chars_out += _total(stats.get("doc_len", 0))
        for prefix, table in (("changed_", changed), ("added_", added)):
            counts = {k.removeprefix(prefix): _total(v) for k, v in stats.items() if k.startswith(prefix)}
            if counts:
                table[_step_label(name)] = counts
    set_aside = sum(sum(r.values()) for r in rejected.values())
    documents_added = sum(sum(a.values()) for a in added.values())
    return {
        "stage": paths.root.name,
        "tasks": tasks,
        "tasks_completed": completed,
        "documents_in": docs_in,
        "documents_out": docs_out,
        "documents_set_aside": set_aside,
        "documents_added": documents_added,
        "balanced": docs_in + documents_added == docs_out + set_aside,
        "characters_in": chars_in,
        "bytes_in": bytes_in,
        "characters_out": chars_out,
        "set_aside_by_filter": rejected,
        "changed_by_step": changed,
        "added_by_step": added,
        "set_aside_records": set_aside_records(paths),
        "steps": steps,
    }


def write_stage_stats(paths: StagePaths, tasks: int) -> dict:
    summary = summarize_stage(paths, tasks)
    tmp = paths.stats.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    tmp.replace(paths.stats)
    return summary
