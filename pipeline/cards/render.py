"""The Markdown of a card, from its JSON (so both always say the same)."""

from __future__ import annotations

from pipeline.cards.sections import largest_clusters_markdown, lines_removed_markdown
from pipeline.markdown import markdown_table

# The card lists this many set-aside records by file and line; stats.json lists more.
MAX_RECORDS_SHOWN = 50


def _n(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return markdown_table(header, rows) + [""]


def render_markdown(card: dict) -> str:
    acc, profiled, notes = card["accounting"], card["profiled"], card["notes"]
    sampled = profiled["documents_kept"] < acc["documents_out"]
    bytes_in = _n(acc["bytes_in"]) if acc["bytes_in"] else ""  # only the ingest readers count input bytes
    bytes_out = _n(profiled["bytes_kept"]) + (" (profiled sample)" if sampled else "")
    set_aside = acc["documents_set_aside"]
    added = acc.get("documents_added", 0)
    holds = "holds exactly" if acc["balanced"] else "DOES NOT HOLD: see stats.json"
    lines = [
        f"# {card['stage']} · run `{card['run']}`",
        "",
        f"> {card['summary_line']}",
        "",
        "## Dataset summary",
        "",
        *_table(
            ["", "documents", "characters", "bytes (UTF-8)"],
            [
                ["in", _n(acc["documents_in"]), _n(acc["characters_in"]), bytes_in],
                ["out", _n(acc["documents_out"]), _n(acc["characters_out"]), bytes_out],
                ["set aside", _n(set_aside), "", ""],
                *([["added", _n(added), "", ""]] if added else []),
            ],
        ),
        f"**Accounting:** in ({_n(acc['documents_in'])}){f' + added ({_n(added)})' if added else ''} = out "
        f"({_n(acc['documents_out'])}) + set aside ({_n(set_aside)}): {holds}. Tasks completed: "
        f"{acc['tasks_completed']} of {acc['tasks']}.",
        "",
        *(
            [
                f"Distributions and examples below profile the first {_n(profiled['documents_kept'])} kept "
                "documents of the output files, not all of them.",
                "",
            ]
            if sampled
            else []
        ),
        "## Languages",
        "",
        notes["languages"],
        "",
        *_detector_line(card.get("made_from", {})),
        *_script_section(card),
        "## Source data",
        "",
        *_table(
            ["source", "kind", "location", "kept", "set aside"],
            [
                [
                    s["name"],
                    s["kind"],
                    f"`{s['location']}`",
                    _n(card["kept_by_source"].get(s["name"], {}).get("documents", 0)),
                    _n(card["set_aside_by_source"].get(s["name"], {}).get("documents", 0)),
                ]
                for s in card["sources"]
            ],
        ),
        "## What was set aside and why",
        "",
        *_set_aside_section(card),
        *lines_removed_markdown(card.get("lines_removed", [])),
        *_scores_section(card),
        *_added_section(card),
        *_tokens_section(card.get("tokens")),
        *(
            ["## Near-duplicate detection", "", f"![S-curve]({card['plots']['s_curve']})", "",
             *largest_clusters_markdown(card.get("largest_clusters", []))]
            if "s_curve" in card["plots"]
            else []
        ),
        "## What was changed",
        "",
        *_changed_section(card),
        "## Length distribution",
        "",
        *_table(
            ["quantile", *card["length_quantiles_chars"]],
            [["characters", *(_n(int(v)) for v in card["length_quantiles_chars"].values())]],
        ),
        f"![document lengths]({card['plots']['lengths']})",
        "",
        "## Examples",
        "",
        *[f"- `{e['id']}` ({e['source']}): {e['text']}" for e in card["examples_kept"]],
        "",
        "## Personal and sensitive information",
        "",
        notes["personal_information"],
        "",
        "## Limitations",
        "",
        *[f"- {item}" for item in notes["limitations"]],
        "",
        "## Licenses",
        "",
        *[f"- {s['name']}: {s['license']}" for s in card["sources"]],
        "",
    ]
    return "\n".join(lines)


def _detector_line(made_from: dict) -> list[str]:
    detector = made_from.get("hinglish_detector")
    if detector is None:
        return []
    if detector["setting"] == "none":
        return ["Romanised-Hindi detector: none (`hinglish_model: none`): every Latin-script document was set "
                "aside as not_hindi.", ""]
    return [f"Romanised-Hindi detector: `{detector['setting']}` (model sha256 {detector['sha256'][:12]}…).", ""]


def _script_section(card: dict) -> list[str]:
    mix = card["script_mix"]
    if not mix:
        return ["No documents came out of this stage.", ""]
    return [
        f"Mean share of letters per kept document: Devanagari {mix['mean_devanagari_share']:.1%}, "
        f"Latin {mix['mean_latin_share']:.1%}, other {mix['mean_other_share']:.1%}. "
        f"{_n(mix['documents_mostly_devanagari'])} documents are mostly Devanagari, "
        f"{_n(mix['documents_mostly_latin'])} mostly Latin.",
        "",
        f"![script mix]({card['plots']['script_mix']})",
        "",
    ]


def _set_aside_section(card: dict) -> list[str]:
    by_filter = card["accounting"]["set_aside_by_filter"]
    examples = {e["reason"]: e for e in card["examples_set_aside"]}
    rows = []
    for filter_name, reasons in by_filter.items():
        for reason, count in reasons.items():
            example = examples.get(reason)
            shown = f"`{example['where']}` {example['text'] or '(no text)'}" if example else ""
            rows.append([filter_name, reason, _n(count), shown])
    if not rows:
        return ["Nothing was set aside.", ""]
    records = card["accounting"]["set_aside_records"]
    listed = [
        [r["filter"], r["reason"], f"`{r['file']}:{r['line']}`", r["source"], r["detail"]]
        for r in records[:MAX_RECORDS_SHOWN]
    ]
    more = len(records) - len(listed)
    return [
        *_table(["filter", "reason", "documents", "first example (file:line, text)"], rows),
        "Where each set-aside document came from:",
        "",
        *_table(["filter", "reason", "file:line", "source", "detail"], listed),
        *([f"… and {more:,} more in stats.json.", ""] if more > 0 else []),
        f"![set aside by reason]({card['plots']['set_aside']})",
        "",
        "Every document set aside is kept, with its reason, under the stage's `rejected/<filter>/` folder.",
        "",
    ]


def _scores_section(card: dict) -> list[str]:
    scores = card.get("scores") or {}
    names = sorted(set(scores.get("kept", {})) | set(scores.get("set_aside", {})))
    if not names:
        return []
    rows = []
    for name in names:
        for side, label in (("kept", "kept"), ("set_aside", "set aside")):
            q = scores[side].get(name)
            if q:
                rows.append([name, label, _n(q["documents"]), q["p10"], q["p50"], q["p90"]])
    return [
        "## Scores",
        "",
        "What the filters measured, for the documents they kept and those they set aside:",
        "",
        *_table(["score", "among documents", "with the score", "p10", "p50", "p90"], rows),
        f"![scores]({card['plots']['scores']})",
        "",
    ]


def _tokens_section(meta: dict | None) -> list[str]:
    """06_tokenize: tokens and documents per split, before and after rehydration (from its meta.json)."""
    if not meta:
        return []
    rows = [[split, _n(t["documents_before_rehydration"]), _n(t["documents"]), _n(t["tokens_before_rehydration"]),
             _n(t["tokens"])] for split, t in meta["totals"].items()]
    return [
        "## Tokens",
        "",
        f"Tokenizer `{meta['tokenizer']}` (sha256 `{meta['tokenizer_sha256'][:16]}…`), vocabulary "
        f"{_n(meta['vocab_size'])}; rehydration {'on' if meta['rehydration']['enabled'] else 'off'} (train only).",
        "",
        *_table(["split", "documents", "documents rehydrated", "tokens", "tokens rehydrated"], rows),
    ]


def _added_section(card: dict) -> list[str]:
    rows = [
        [step, kind, _n(count)]
        for step, kinds in card["accounting"].get("added_by_step", {}).items()
        for kind, count in kinds.items()
    ]
    if not rows:
        return []
    examples = [[e["kind"], e["original"], e["copy"]] for e in card.get("added_examples", [])]
    return [
        "## What was added",
        "",
        *_table(["step", "copy", "documents added"], rows),
        "Copies next to their originals (`parent_id` in each copy's metadata):",
        "",
        *_table(["copy", "original", "copy"], examples),
    ]


def _changed_section(card: dict) -> list[str]:
    rows = [
        [step, rule, _n(count)]
        for step, rules in card["accounting"]["changed_by_step"].items()
        for rule, count in rules.items()
    ]
    if not rows:
        return ["No step changed document text.", ""]
    return _table(["step", "rule", "documents changed"], rows)
