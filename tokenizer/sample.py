"""A training sample for SentencePiece: lines drawn from the inputs at a fixed script mix, in bounded memory.

Every input line goes to a group: the pipeline's `language` decision for the document it is in (hi_Deva →
hindi, hi_Latn and hi_mixed → hinglish), or, for files the pipeline did not write, the line's script
(tokenizer/script_groups.py). Each line is offered to its group's reservoir, which keeps a uniform random
sample of at most mix[group] × sentences lines whatever the input size (Vitter's algorithm R).
Documents whose root document's id (a copy's `parent_id`, else its id: the shards' rule) hashes under
`heldout_documents` are kept out of training whole, a romanised copy on the same side as its original: up to
`heldout_lines` of their lines per group (again a uniform sample) are the card's held-out text, so that no
held-out line has a neighbour (or a copy of itself) in training. The training lines are shuffled together
and written one line per sentence.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from pipeline.documents import read_documents
from pipeline.tokenize.shards import root_id, split_of
from tokenizer.config import SampleConfig, TokenizerInputError
from tokenizer.script_groups import group_of_language, script_group

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


class Reservoir:
    """A uniform random sample of at most `size` of the lines offered (Vitter's algorithm R)."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.rng, self.seen, self.lines = size, rng, 0, []

    def offer(self, line: str) -> None:
        self.seen += 1
        if len(self.lines) < self.size:
            self.lines.append(line)
        elif (slot := self.rng.randrange(self.seen)) < self.size:
            self.lines[slot] = line


def _repeated(lines: list[str], quota: int, max_repeats: int) -> list[str]:
    """A group short of its quota, repeated up to `max_repeats` times towards it: on a corpus smaller than the
    sample, repeating is what gives a group its share of the merges (BPE counts every copy)."""
    return lines * max(1, min(max_repeats, quota // max(1, len(lines))))


def draw_sample(config: SampleConfig, out: Path) -> dict:
    """Write `out/sample.txt` and, per group, `out/heldout_<group>.txt` (lines kept out of training for the
    evaluation); return the statistics (lines seen, kept and held out per group)."""
    unknown = set(config.mix) - {"hindi", "hinglish", "english", "other"}
    if unknown:
        raise TokenizerInputError(
            f"sample.mix names unknown groups {sorted(unknown)}; groups: hindi, hinglish, english, other")
    total_share = sum(config.mix.values())
    quota = {group: int(config.sentences * share / total_share) for group, share in config.mix.items()}
    rng = random.Random(config.seed)
    training = {group: Reservoir(size, rng) for group, size in quota.items()}
    held_out = {group: Reservoir(config.heldout_lines, rng) for group in quota}
    seen: Counter[str] = Counter()
    documents = 0
    for doc in tqdm(read_documents(config.inputs), desc="sampling lines", unit=" docs", mininterval=2):
        documents += 1
        decided = group_of_language(doc.language)
        reservoirs = held_out if split_of(root_id(doc), config.heldout_documents) == "val" else training
        for raw in doc.text.split("\n"):
            if not raw.strip():
                continue
            for line in split_long_line(raw, config.max_line_chars):
                group = decided or script_group(line)
                seen[group] += 1
                if group in reservoirs:
                    reservoirs[group].offer(line)
    heldout = {group: reservoir.lines for group, reservoir in held_out.items()}
    reservoirs = {group: _repeated(reservoir.lines, quota[group], config.max_repeats)
                  for group, reservoir in training.items()}
    lines = [line for group in sorted(reservoirs) for line in reservoirs[group]]
    if not lines:
        raise TokenizerInputError(f"no lines of the groups {sorted(quota)} in {', '.join(config.inputs)}")
    rng.shuffle(lines)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for group, held in heldout.items():
        (out / f"heldout_{group}.txt").write_text("\n".join(held) + "\n", encoding="utf-8")
    kept = {group: len(r) for group, r in reservoirs.items()}
    return {"documents": documents, "lines_seen": dict(seen), "lines_kept": kept, "quota": quota,
            "share_kept": {g: round(n / len(lines), 4) for g, n in kept.items()},
            "heldout_lines": {g: len(h) for g, h in heldout.items()}}
