"""python -m model {generate,export-hf,info}: sample from a checkpoint, export it to Hugging Face, count it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from model.config import PRESETS, preset
from model.gemma3 import Gemma3ForCausalLM
from model.generate import generate
from model.weights import load_model


def _tokenizer(args):
    import sentencepiece as spm

    path = Path(args.tokenizer or Path(args.checkpoint) / "tokenizer.model")
    if not path.exists():
        raise FileNotFoundError(f"no tokenizer at {path}: pass --tokenizer FILE.model")
    return spm.SentencePieceProcessor(model_file=str(path))


def cmd_generate(args) -> None:
    module = load_model(args.checkpoint)
    sp = _tokenizer(args)
    prompt = ([module.config.bos_token_id] if args.bos else []) + sp.encode(args.prompt)
    new: list[int] = []
    shown = ""

    def stream(token: torch.Tensor) -> None:
        nonlocal shown
        new.append(int(token[0]))
        text = sp.decode(new)
        print(text[len(shown) :], end="", flush=True)  # whole-text decode: pieces may join mid-character
        shown = text

    print(args.prompt, end="", flush=True)
    generate(module, torch.tensor([prompt]), args.max_new_tokens, temperature=args.temperature, top_k=args.top_k,
             top_p=args.top_p, repetition_penalty=args.repetition_penalty, seed=args.seed, on_token=stream,
             vocab_limit=sp.get_piece_size(), compile=args.compile)
    print()


def cmd_export(args) -> None:
    from model.hf import to_hf

    out = to_hf(load_model(args.checkpoint), args.out, tokenizer_dir=args.checkpoint)
    print(f"wrote a Hugging Face Gemma3ForCausalLM directory: {out}")


def cmd_info(args) -> None:
    config = preset(args.preset)
    if args.vocab:
        config = config.with_vocab(args.vocab)
    counts = Gemma3ForCausalLM(config).parameter_counts()
    print(f"{args.preset}: vocab {config.vocab_size:,}, {config.num_layers} layers ({config.layer_types.count('full')} "
          f"full), width {config.hidden_size}")
    for kind, count in counts.items():
        print(f"  {kind:>14}: {count:>13,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="stream a continuation of --prompt")
    gen.add_argument("--checkpoint", required=True, help="checkpoint or Hugging Face model directory")
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--tokenizer", help="SentencePiece model (default: CHECKPOINT/tokenizer.model)")
    gen.add_argument("--max-new-tokens", type=int, default=128)
    gen.add_argument("--temperature", type=float, default=0.8, help="0 is greedy")
    gen.add_argument("--top-k", type=int, default=50)
    gen.add_argument("--top-p", type=float, default=0.95)
    gen.add_argument("--repetition-penalty", type=float, default=1.2, help="1.2 kept the seeds out of loops")
    gen.add_argument("--seed", type=int)
    gen.add_argument("--compile", action="store_true", help="torch.compile the decoding step (for long outputs)")
    gen.add_argument("--no-bos", dest="bos", action="store_false", help="do not start the prompt with BOS")
    export = commands.add_parser("export-hf", help="write a transformers Gemma3ForCausalLM directory")
    export.add_argument("--checkpoint", required=True)
    export.add_argument("--out", required=True)
    info = commands.add_parser("info", help="parameter counts of a preset")
    info.add_argument("--preset", default="gemma3-270m", choices=sorted(PRESETS))
    info.add_argument("--vocab", type=int, help="tokenizer vocabulary (padded to a multiple of 128)")
    args = parser.parse_args(argv)
    try:
        {"generate": cmd_generate, "export-hf": cmd_export, "info": cmd_info}[args.command](args)
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
