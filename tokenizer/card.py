"""The tokenizer's card: what it was trained on and how it compares with known LLM tokenizers on held-out text."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.markdown import markdown_table
from tokenizer.metrics import comparison_table, evaluate
from tokenizer.references import Encoder, reference_encoders, sentencepiece_encoder


def read_lines(path: Path) -> list[str]:
    return [line for line in Path(path).read_text(encoding="utf-8").split("\n") if line.strip()]


def compare(model_file: Path, lines: list[str], references: list[Encoder] | None = None) -> list[dict]:
    """Ours first, then every reference tokenizer found, on the same lines."""
    ours = sentencepiece_encoder(f"ours ({Path(model_file).parent.name})", model_file)
    encoders = [ours] + (reference_encoders() if references is None else references)
    return [evaluate(encoder, lines) for encoder in encoders]


def write_card(out: Path) -> Path:
    """`out/card.md` + `card.json` from train.json and the held-out files beside the model."""
    train = json.loads((out / "train.json").read_text())
    references = reference_encoders()
    tables = {}
    for held in sorted(out.glob("heldout_*.txt")):
        lines = read_lines(held)
        if lines:
            tables[held.stem.removeprefix("heldout_")] = compare(out / "tokenizer.model", lines, references)
    sample = train["sample"]
    parts = [
        "# Tokenizer card",
        "",
        f"SentencePiece {train['train']['model_type'].upper()}, {train['vocab_size']:,} pieces (ids fit uint16), "
        f"byte fallback, identity normalisation (the pipeline normalises), no dummy prefix; sha256 "
        f"`{train['sha256'][:16]}…`; trained in {train['seconds']} s.",
        "",
        "## Training sample",
        "",
        f"{sample['documents']:,} documents read; lines per script group (seen → kept for training, held out):",
        "",
    ]
    parts += markdown_table(["group", "seen", "quota", "trained on", "share", "held out"],
                            [[group, f"{sample['lines_seen'].get(group, 0):,}", f"{sample['quota'][group]:,}",
                              f"{sample['lines_kept'][group]:,}", f"{sample['share_kept'][group]:.1%}",
                              f"{sample['heldout_lines'][group]:,}"] for group in sample["quota"]])
    if not references:
        parts += ["", "Reference tokenizers not found (../shared/corpus/reference_tokenizers): ours alone."]
    for group, rows in tables.items():
        parts += ["", f"## Held-out {group} text ({rows[0]['lines']:,} lines, {rows[0]['words']:,} words)", "",
                  comparison_table(rows)]
    parts += ["", "Words are whitespace-split; a single-token word is one token when it follows a space. "
              "Byte fallback is n/a for byte-level BPEs, which have no fallback."]
    (out / "card.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    (out / "card.json").write_text(json.dumps({"train": train, "heldout": tables}, indent=2, ensure_ascii=False))
    return out / "card.md"
