"""python -m evaluation sft-eval --checkpoint DIR [...] --sft-data DIR --prompts FILE: what SFT changed, per checkpoint.

- `sft_val_loss`: nats per token of the model's turns in the held-out conversations (all of them, each once).
- `format_adherence`: share of replies that end with <end_of_turn> within `max_new_tokens`.
- `script_agreement`: share of replies written in the question's script: a Devanagari question gets a
  Devanagari reply, a romanised one a Latin-script reply (the filter stage's Devanagari share of letters, ≥ 0.5).

Replies are greedy with the seeds' repetition penalty (1.2), so two runs give the same figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import sentencepiece as spm
import torch

from model.chat import generate_reply
from model.hf import from_hf
from model.loss import IGNORE_INDEX
from pipeline.script import devanagari_share
from trainer.sft.batches import conversation_rows, pad_rows


def script_of(text: str) -> str:
    """hi_Deva, Latn, or none (no letters)."""
    if not any(ch.isalpha() for ch in text):
        return "none"
    return "Deva" if devanagari_share(text) >= 0.5 else "Latn"


@torch.no_grad()
def sft_val_loss(module, sp: spm.SentencePieceProcessor, sft_data: Path, block_size: int, batch_size: int = 8) -> float:
    rows, _ = conversation_rows(sp, Path(sft_data) / "val.jsonl", block_size + 1)
    total, count = 0.0, 0
    for start in range(0, len(rows), batch_size):
        inputs, targets = pad_rows(rows[start : start + batch_size], sp.pad_id(), block_size)
        scored = int((targets != IGNORE_INDEX).sum())
        total += float(module(inputs, targets)) * scored
        count += scored
    return total / max(count, 1)


def evaluate_checkpoint(checkpoint: Path, sft_data: Path, prompts: list[str], max_new_tokens: int,
                        block_size: int) -> dict:
    module = from_hf(checkpoint).eval()
    sp = spm.SentencePieceProcessor(model_file=str(checkpoint / "tokenizer.model"))
    replies = []
    for prompt in prompts:
        reply = generate_reply(module, sp, [{"role": "user", "content": prompt}], max_new_tokens=max_new_tokens,
                               temperature=0.0, repetition_penalty=1.2)
        replies.append({"prompt": prompt, "reply": reply.text, "ended": reply.ended,
                        "agrees": script_of(reply.text) == script_of(prompt)})
    return {"checkpoint": str(checkpoint), "sft_val_loss": round(sft_val_loss(module, sp, sft_data, block_size), 4),
            "format_adherence": sum(r["ended"] for r in replies) / len(replies),
            "script_agreement": sum(r["agrees"] for r in replies) / len(replies), "replies": replies}


def cmd_sft_eval(args) -> None:
    prompts = [line.replace("\\n", "\n") for line in Path(args.prompts).read_text(encoding="utf-8").splitlines()
               if line.strip()]
    results = [evaluate_checkpoint(Path(c), Path(args.sft_data), prompts, args.max_new_tokens, args.block_size)
               for c in args.checkpoint]
    print(f"{'checkpoint':<60} {'sft val loss':>12} {'format':>8} {'script':>8}")
    for r in results:
        print(f"{r['checkpoint'][-60:]:<60} {r['sft_val_loss']:>12.4f} {r['format_adherence']:>8.1%} "
              f"{r['script_agreement']:>8.1%}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


def add_commands(commands) -> dict:
    """`sft-eval` on `commands` (argparse subparsers); returns name → handler."""
    parser = commands.add_parser("sft-eval", help="SFT val loss, format adherence and script agreement",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", action="append", required=True, help="repeat: before and after SFT")
    parser.add_argument("--sft-data", required=True, help="folder with val.jsonl (python -m trainer sft-data)")
    parser.add_argument("--prompts", required=True, help="one question a line (\\n for a line break)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--block-size", type=int, default=256, help="longest val conversation scored, in ids")
    parser.add_argument("--out", help="write the figures and every reply here (JSON)")
    return {"sft-eval": cmd_sft_eval}
