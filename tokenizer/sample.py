"""A training sample for SentencePiece: lines drawn from the inputs at a fixed script mix, in bounded memory.

Every input line is classified (tokenizer/script_groups.py) and offered to its group's reservoir, which keeps a
uniform random sample of at most mix[group] × sentences lines whatever the input size (Vitter's algorithm R).
A tenth of each reservoir, up to `heldout_lines`, is kept out of training for the evaluation; the rest are
shuffled together and written one line per sentence.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from tokenizer.config import SampleConfig
from tokenizer.documents import iter_documents
from tokenizer.script_groups import script_group

_SENTENCE_END = re.compile(r"(?<=[।॥.!?])\s+")


def split_long_line(line: str, max_chars: int) -> list[str]:
    """`line` cut at sentence ends into pieces of at most about `max_chars` (a sentence longer than that is cut
    hard): SentencePiece ignores lines over its max_sentence_length."""
    if len(line) <= max_chars:
        return [line]
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(line):
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
        while len(current) > max_chars:
            pieces.append(current[:max_chars])
            current = current[max_chars:]
    return pieces + ([current] if current else [])


def draw_sample(config: SampleConfig, out: Path) -> dict:
    """Write `out/sample.txt` and, per group, `out/heldout_<group>.txt` (lines kept out of training for the
    evaluation); return the statistics (lines seen, kept and held out per group)."""
    unknown = set(config.mix) - {"hindi", "hinglish", "english", "other"}
    if unknown:
        raise ValueError(f"sample.mix names unknown groups {sorted(unknown)}; groups: hindi, hinglish, english, other")
    total_share = sum(config.mix.values())
    quota = {group: int(config.sentences * share / total_share) for group, share in config.mix.items()}
    rng = random.Random(config.seed)
    reservoirs: dict[str, list[str]] = {group: [] for group in quota}
    seen: Counter[str] = Counter()
    documents = 0
    for _, text in tqdm(iter_documents(config.inputs), desc="sampling lines", unit=" docs", mininterval=2):
        documents += 1
        for raw in text.split("\n"):
            if not raw.strip():
                continue
            for line in split_long_line(raw, config.max_line_chars):
                group = script_group(line)
                seen[group] += 1
                if group not in quota:
                    continue
                reservoir = reservoirs[group]
                if len(reservoir) < quota[group]:
                    reservoir.append(line)
                elif (slot := rng.randrange(seen[group])) < quota[group]:
                    reservoir[slot] = line
    heldout = {}
    for group, reservoir in reservoirs.items():
        rng.shuffle(reservoir)  # a reservoir that never filled is in input order
        count = min(config.heldout_lines, len(reservoir) // 10)
        heldout[group], reservoirs[group] = reservoir[:count], reservoir[count:]
    lines = [line for group in sorted(reservoirs) for line in reservoirs[group]]
    if not lines:
        raise ValueError(f"no lines of the groups {sorted(quota)} in {', '.join(config.inputs)}")
    rng.shuffle(lines)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for group, held in heldout.items():
        (out / f"heldout_{group}.txt").write_text("\n".join(held) + "\n", encoding="utf-8")
    kept = {group: len(r) for group, r in reservoirs.items()}
    return {"documents": documents, "lines_seen": dict(seen), "lines_kept": kept, "quota": quota,
            "share_kept": {g: round(n / len(lines), 4) for g, n in kept.items()},
            "heldout_lines": {g: len(h) for g, h in heldout.items()}}
