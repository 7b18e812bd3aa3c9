"""python -m trainer sft-data CONFIG: SFT conversations (JSONL, `messages: [{role, content}]`) from the corpus,
mixed by weight, split into train and val by conversation, with a card of what came from where.

The split is decided by a hash of the record a conversation was made from, so it does not depend on file order
or on the mixture, and the two translation directions of one pair never straddle it. A source's weight repeats
its train conversations (2.0: twice; 0.5: a hash-chosen half); val holds each held-out conversation once, so
the SFT validation loss does not move when the mixture does. Bad records are counted, listed with file and line,
and passed over.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from pipeline.errors import cli_errors
from pipeline.hashing import unit_hash
from pipeline.markdown import markdown_table
from pipeline.typed_config import cli_overrides, load_config
from trainer.sft.batches import SFTDataError
from trainer.sft.sources import READERS, BadRecord, Conversation

KINDS = Literal["conversations", "dialogues", "translation_pairs", "health_qa", "wikipedia", "stories"]
BAD_RECORDS_LISTED = 50  # per source, in stats.json and the card; all are counted


@dataclass
class SFTSource:
    name: str
    kind: KINDS
    path: str  # relative to `corpus` (or absolute)
    weight: float = 1.0  # copies of each train conversation in the mixture
    limit: int = 0  # conversations taken at most, in file order (0: all)
    license: str = ""
    note: str = ""  # shown in the card (caveats of the data)


@dataclass
class SFTDataConfig:
    corpus: str = "../shared/corpus"
    out: str = "work/sft_data"
    sources: list[SFTSource] = field(default_factory=list)
    val_fraction: float = 0.05  # conversations whose root hash falls below this go to val
    max_chars: int = 6000  # longer conversations are passed over (counted): they would not fit a training row
    skip_missing: bool = False  # a source whose file is absent is noted in the card instead of stopping the build


def copies(weight: float, key: str) -> int:
    """floor(weight) copies, one more with probability frac(weight), decided by `key`."""
    whole = int(weight)
    return whole + (unit_hash("copy:" + key) < weight - whole)


def _lengths(values: list[int]) -> dict:
    if not values:
        return {"mean": 0, "median": 0, "max": 0}
    return {"mean": round(statistics.fmean(values), 1), "median": statistics.median(values), "max": max(values)}


def build_source(source: SFTSource, config: SFTDataConfig) -> tuple[list[dict], list[dict], dict]:
    """(train rows with copies, val rows, stats) of one source."""
    path = Path(config.corpus) / source.path
    train, val, bad, skipped_long = [], [], [], 0
    user_chars, model_chars, turns = [], [], []
    for item in tqdm(READERS[source.kind](path), desc=f"sft-data {source.name}", unit=" conv", leave=False):
        if isinstance(item, BadRecord):
            bad.append(item)
            continue
        if sum(len(m["content"]) for m in item.messages) > config.max_chars:
            skipped_long += 1
            continue
        row = {"id": f"{source.name}/{item.id}", "source": source.name, "messages": item.messages}
        if unit_hash("split:" + item.root) < config.val_fraction:
            val.append(row)
        else:
            train += [row] * copies(source.weight, item.id)
        _count_turns(item, user_chars, model_chars, turns)
        if source.limit and len(train) + len(val) >= source.limit:
            break
    stats = {"kind": source.kind, "path": str(path), "weight": source.weight, "license": source.license,
             "note": source.note, "train": len(train), "val": len(val), "too_long": skipped_long,
             "turns_per_conversation": _lengths(turns), "user_turn_chars": _lengths(user_chars),
             "model_turn_chars": _lengths(model_chars), "bad_records": len(bad),
             "bad_by_reason": dict(Counter(b.reason.split(":")[0] for b in bad)),
             "bad_examples": [asdict(b) for b in bad[:BAD_RECORDS_LISTED]],
             "examples": [r["messages"] for r in (val[:1] + train[:1])]}
    return train, val, stats


def _count_turns(item: Conversation, user_chars: list[int], model_chars: list[int], turns: list[int]) -> None:
    turns.append(len(item.messages))
    for message in item.messages:
        (model_chars if message["role"] in ("assistant", "model") else user_chars).append(len(message["content"]))


def build_sft_data(config: SFTDataConfig) -> dict:
    """Write `<out>/{train,val}.jsonl`, `stats.json` and `card.md`; returns the stats."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    train, val, per_source, missing = [], [], {}, []
    for source in config.sources:
        if not (Path(config.corpus) / source.path).exists():
            if not config.skip_missing:
                raise FileNotFoundError(f"SFT source {source.name}: {Path(config.corpus) / source.path} does not "
                                        f"exist (set corpus=..., or skip_missing=true to build without it)")
            missing.append(source.name)
            continue
        rows_train, rows_val, per_source[source.name] = build_source(source, config)
        train += rows_train
        val += rows_val
    if not train or not val:
        raise SFTDataError(f"the SFT data has {len(train)} train and {len(val)} val conversations: add sources or "
                         f"raise val_fraction ({config.val_fraction})")
    for name, rows in (("train", train), ("val", val)):
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    stats = {"train": len(train), "val": len(val), "val_fraction": config.val_fraction, "missing_sources": missing,
             "sources": per_source, "config": asdict(config)}
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "card.md").write_text(card_markdown(stats), encoding="utf-8")
    return stats


def card_markdown(stats: dict) -> str:
    """The data card: the mixture, turn lengths, bad records with file and line, an example per source."""
    lines = ["# SFT conversations", "",
             f"{stats['train']:,} train conversations (with the mixture's copies), {stats['val']:,} val "
             f"(held out by source record, {stats['val_fraction']:.0%}), in Gemma 3's turns when trained.", ""]
    header = ["source", "kind", "weight", "train", "val", "turns/conv", "user chars (median)", "model chars (median)",
              "bad records", "too long", "license"]
    lines += markdown_table(header, [
        [name, s["kind"], s["weight"], f"{s['train']:,}", f"{s['val']:,}", s["turns_per_conversation"]["mean"],
         s["user_turn_chars"]["median"], s["model_turn_chars"]["median"], s["bad_records"], s["too_long"],
         s["license"]] for name, s in stats["sources"].items()])
    if stats["missing_sources"]:
        lines += ["", f"Not found, left out: {', '.join(stats['missing_sources'])}."]
    for name, s in stats["sources"].items():
        lines += ["", f"## {name}", "", f"`{s['path']}`" + (f": {s['note']}" if s["note"] else "")]
        for bad in s["bad_examples"][:10]:
            lines.append(f"- bad record {bad['file']}:{bad['line']}: {bad['reason']}")
        for messages in s["examples"][:1]:
            lines += ["", "Example:", ""] + [f"> **{m['role']}**: {m['content'][:300]}".replace("\n", " ")
                                             for m in messages[:4]]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """python -m trainer sft-data CONFIG [--KEY=VALUE ...]"""
    parser = argparse.ArgumentParser(prog="python -m trainer sft-data", description=__doc__)
    parser.add_argument("config", help="SFT data config (YAML), e.g. configs/sft_data.yaml")
    args, extra = parser.parse_known_args(argv)

    def build() -> None:
        config = load_config(SFTDataConfig, args.config, cli_overrides(extra))
        stats = build_sft_data(config)
        bad = sum(s["bad_records"] for s in stats["sources"].values())
        print(f"SFT data: {stats['train']:,} train and {stats['val']:,} val conversations, {bad} bad records "
              f"({Path(config.out) / 'stats.json'}; card: {Path(config.out) / 'card.md'})")

    return cli_errors(build)
