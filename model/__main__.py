"""python -m model {generate,chat,export-hf,export-gguf,info}: sample from a checkpoint, talk to it, export it to
Hugging Face or llama.cpp, count it (`python -m evaluation` measures it)."""

from __future__ import annotations

import argparse
import sys

import torch

from model.config import PRESETS, preset
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.generate import generate
from model.hf import from_hf, tokenizer_of


def _tokenizer(args):
    return tokenizer_of(args.checkpoint, args.tokenizer)


def cmd_generate(args) -> None:
    module = from_hf(args.checkpoint)
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


def cmd_chat(args) -> None:
    """--message: one reply on stdout; else a REPL that keeps the conversation (/reset starts a new one)."""
    from model.chat import chat

    module, sp = from_hf(args.checkpoint), _tokenizer(args)
    knobs = {"max_new_tokens": args.max_new_tokens, "temperature": args.temperature, "top_k": args.top_k,
             "top_p": args.top_p, "repetition_penalty": args.repetition_penalty, "seed": args.seed}
    system = [{"role": "system", "content": args.system}] if args.system else []

    def show(text: str) -> None:
        print(text, end="", flush=True)

    if args.message is not None:
        chat(module, sp, system + [{"role": "user", "content": args.message}], on_text=show, **knobs)
        print()
        return
    print("chat: an empty line or Ctrl-D ends, /reset starts a new conversation", file=sys.stderr)
    messages = list(system)
    while (line := _read_line()) is not None and line.strip():
        if line.strip() == "/reset":
            messages = list(system)
            continue
        messages.append({"role": "user", "content": line})
        try:
            reply = chat(module, sp, messages, on_text=show, **knobs)
        except ModelInputError as err:  # this message cannot be answered (too long, a turn marker in it): say so, go on
            print(f"error: {err}", file=sys.stderr)
            messages.pop()
            continue
        print()
        messages.append({"role": "assistant", "content": reply})


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def _sampling_flags(parser: argparse.ArgumentParser, max_new_tokens: int, temperature: float) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint or Hugging Face model directory")
    parser.add_argument("--tokenizer", help="SentencePiece model (default: CHECKPOINT/tokenizer.model)")
    parser.add_argument("--max-new-tokens", type=int, default=max_new_tokens)
    parser.add_argument("--temperature", type=float, default=temperature, help="0 is greedy")
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--repetition-penalty", type=float, default=1.2, help="1.2 kept the seeds out of loops")
    parser.add_argument("--seed", type=int)


def cmd_export(args) -> None:
    from model.hf import to_hf

    out = to_hf(from_hf(args.checkpoint), args.out, tokenizer_dir=args.checkpoint)
    print(f"wrote a Hugging Face Gemma3ForCausalLM directory: {out}")


def cmd_export_gguf(args) -> None:
    from model.gguf_export import export_gguf, write_modelfile

    out = export_gguf(args.checkpoint, args.out, args.type)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB, {args.type}) and the Ollama {write_modelfile(out)}")


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
    _sampling_flags(gen, max_new_tokens=128, temperature=0.8)
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--compile", action="store_true", help="torch.compile the decoding step (for long outputs)")
    gen.add_argument("--no-bos", dest="bos", action="store_false", help="do not start the prompt with BOS")
    talk = commands.add_parser("chat", help="talk to a (fine-tuned) checkpoint in Gemma 3's turns")
    _sampling_flags(talk, max_new_tokens=256, temperature=0.7)
    talk.add_argument("--message", help="one user message: print the reply and exit (default: a REPL on stdin)")
    talk.add_argument("--system", help="a system message, folded into the first user turn")
    export = commands.add_parser("export-hf", help="write a transformers Gemma3ForCausalLM directory")
    export.add_argument("--checkpoint", required=True)
    export.add_argument("--out", required=True)
    gguf = commands.add_parser("export-gguf", help="write one GGUF file for llama.cpp / Ollama (+ a Modelfile)")
    gguf.add_argument("--checkpoint", required=True, help="checkpoint directory with its tokenizer.model")
    gguf.add_argument("--out", required=True, help="FILE.gguf")
    gguf.add_argument("--type", default="f16", choices=["f32", "f16", "bf16", "q8_0"], help="matrices' type")
    info = commands.add_parser("info", help="parameter counts of a preset")
    info.add_argument("--preset", default="gemma3-270m", choices=sorted(PRESETS))
    info.add_argument("--vocab", type=int, help="tokenizer vocabulary (padded to a multiple of 128)")
    handlers = {"generate": cmd_generate, "chat": cmd_chat, "export-hf": cmd_export,
                "export-gguf": cmd_export_gguf, "info": cmd_info}
    args = parser.parse_args(argv)
    try:
        handlers[args.command](args)
    except (FileNotFoundError, ModelInputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
