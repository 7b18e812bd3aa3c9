"""`python -m evaluation evaluate` and `python -m evaluation make-tasks`: a checkpoint on held-out texts and tasks,
and the held-out set itself."""

from __future__ import annotations

import json
import sys

import torch

from evaluation.evaluate import evaluate
from evaluation.heldout import read_items, shard_documents, write_eval_tasks
from model.errors import ModelInputError
from model.hf import from_hf, tokenizer_of
from pipeline.documents import document_texts, text_set_name


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cmd_eval(args) -> None:
    if not (args.text or args.choices):
        raise ModelInputError("nothing to evaluate: pass --text FILE_OR_FOLDER and/or --choices FILE.jsonl")
    texts = {text_set_name(p): document_texts(p) for p in args.text}  # bad input fails before the model loads
    choices = {text_set_name(p): read_items(p) for p in args.choices}
    device = _device(args.device)
    sp = tokenizer_of(args.checkpoint, args.tokenizer)
    module = from_hf(args.checkpoint).to(device)
    context = args.context or module.config.max_position_embeddings
    figures = evaluate(module, sp, texts, choices, context, args.stride, args.batch_size, device)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), **figures}, indent=2, ensure_ascii=False))
        return
    print(f"context {figures['context']} tokens, stride {figures['stride']}")
    for name, t in figures["texts"].items():
        print(f"{name}: {t['bits_per_byte']:.4f} bits/byte, {t['nats_per_token']:.4f} nats/token, "
              f"{t['tokens_per_word']:.2f} tokens/word, {t['documents']:,} documents")
    for name, c in figures["choices"].items():
        print(f"{name}: accuracy {c['accuracy']:.3f}, length-normalised {c['accuracy_norm']:.3f} "
              f"(chance {c['chance']:.3f}, {c['items']:,} items)")


def cmd_make_tasks(args) -> None:
    if not (args.input or args.val_shards):
        raise ModelInputError(
            "no held-out documents: pass --input FILE_OR_FOLDER (kept out of training) or --val-shards")
    hindi = [doc for path in args.input for doc in document_texts(path)]
    hindi += shard_documents(args.val_shards) if args.val_shards else []
    hinglish = [doc for path in args.hinglish for doc in document_texts(path)]
    if args.max_documents:  # the first ones, in file order: still deterministic
        hindi, hinglish = hindi[: args.max_documents], hinglish[: args.max_documents]
    sources = {"hindi": args.input + ([f"{args.val_shards} (val split)"] if args.val_shards else []),
               "hinglish": args.hinglish}
    manifest = write_eval_tasks(args.out, hindi, hinglish, args.seed, sources)
    print(f"wrote {args.out}: {json.dumps(manifest['documents'])} documents, {json.dumps(manifest['items'])} items")
    if not manifest["items"]["next_sentence_hi.jsonl"]:
        print("warning: no next-sentence item: the held-out documents have too few sentences of 4-40 words",
              file=sys.stderr)


def add_commands(commands) -> dict:
    """The evaluation subcommands on `commands` (argparse subparsers); returns name → handler."""
    ev = commands.add_parser("evaluate", help="bits per byte of held-out text, multiple-choice accuracy")
    ev.add_argument("--checkpoint", required=True, help="checkpoint or Hugging Face Gemma 3 directory")
    ev.add_argument("--text", nargs="+", default=[], help=".txt (a document a line) or JSONL files or folders")
    ev.add_argument("--choices", nargs="+", default=[], help="multiple-choice items (python -m evaluation make-tasks)")
    ev.add_argument("--tokenizer", help="SentencePiece model (default: CHECKPOINT/tokenizer.model)")
    ev.add_argument("--context", type=int, help="tokens a window sees (default: the model's max positions, as "
                    "lm-eval uses; pass the training block_size for a short-context model)")
    ev.add_argument("--stride", type=int, help="tokens a window moves and scores (default: context / 2)")
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--device", default="auto")
    ev.add_argument("--json", action="store_true", help="the figures as one JSON object")
    tasks = commands.add_parser("make-tasks", help="held-out texts and next-sentence items, deterministically")
    tasks.add_argument("--input", nargs="+", default=[], help="held-out Hindi documents (files or folders)")
    tasks.add_argument("--val-shards", help="also the val split of these shards (a run's own held-out documents)")
    tasks.add_argument("--hinglish", nargs="+", default=[], help="held-out real Hinglish (default: romanised Hindi)")
    tasks.add_argument("--seed", type=int, default=0)
    tasks.add_argument("--max-documents", type=int, default=0, help="at most this many of each language (0: all)")
    tasks.add_argument("--out", default="work/eval_tasks", help="the folder evaluation/lm_eval_tasks/ reads")
    return {"evaluate": cmd_eval, "make-tasks": cmd_make_tasks}

