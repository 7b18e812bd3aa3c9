"""The decontamination stage's card section: per evaluation set, its n-grams and the documents set aside."""

from __future__ import annotations

import json

from pipeline.decontaminate.settings import DecontaminateConfig
from pipeline.decontaminate.steps import CONTAMINATED
from pipeline.workdir import StagePaths


def _stat(steps: list[dict], key: str) -> int:
    total = 0
    for step in steps:
        value = step["stats"].get(key, 0)
        total += int(value["total"] if isinstance(value, dict) else value)
    return total


def decontamination_summary(settings: DecontaminateConfig, paths: StagePaths, steps: list[dict]) -> dict:
    """{n_words, sets: [{name, path, status, ngrams, set_aside}]} from the find phase's index and the books."""
    index_file = paths.root / "contamination" / "index.json"
    index = json.loads(index_file.read_text()) if index_file.exists() else {"ngrams_per_set": {}}
    sets = []
    for eval_set in settings.eval_sets:
        indexed = eval_set.name in index["ngrams_per_set"]
        sets.append({"name": eval_set.name, "path": eval_set.path,
                     "status": "checked" if indexed else "skipped: absent (optional)",
                     "ngrams": index["ngrams_per_set"].get(eval_set.name, 0),
                     "set_aside": _stat(steps, f"{CONTAMINATED}_{eval_set.name}")})
    return {"n_words": settings.n_words, "sets": sets}


def decontamination_markdown(summary: dict | None) -> list[str]:
    if summary is None:
        return []
    lines = ["## Decontamination", ""]
    if not summary["sets"]:
        return lines + ["No evaluation set is named (`stages.decontaminate.eval_sets`): every document passed.", ""]
    lines += [f"Documents set aside because they (or a Hinglish copy of the same root document) share a run of "
              f"{summary['n_words']} normalised words with an evaluation set; each names the set and the n-gram "
              f"in its metadata (`eval_set`, `contamination_ngram`) under `rejected/decontaminate/`.", "",
              "| evaluation set | path | status | distinct n-grams | documents set aside |", "|---|---|---|---|---|"]
    for s in summary["sets"]:
        lines.append(f"| {s['name']} | `{s['path']}` | {s['status']} | {s['ngrams']:,} | {s['set_aside']:,} |")
    return lines + [""]
