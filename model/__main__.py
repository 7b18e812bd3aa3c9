"""python -m model {generate,chat,export-hf,export-gguf,info}: sample from a checkpoint, talk to it, export it to
Hugging Face or llama.cpp, count it (`python -m evaluation` measures it)."""

from __future__ import annotations

import argparse
import sys

import torch

from model.backend import Backend, load_backend
from model.config import PRESETS, preset
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.hf import from_hf
from model.sampling import Sampling
from model.text_stream import TextStream


def _backend(args) -> Backend:
    if args.threads and not args.checkpoint.endswith(".gguf"):
        torch.set_num_threads(args.threads)
    return load_backend(args.checkpoint, args.tokenizer, threads=args.threads,
                        compile=getattr(args, "compile", False))


def _sampling(args) -> Sampling:
    return Sampling(args.temperature, args.top_k, args.top_p, args.repetition_penalty, args.seed)


def cmd_generate(args) -> None:
    backend = _backend(args)
    vocab = backend.vocab
    prompt = ([vocab.bos_id()] if args.bos else []) + vocab.encode(args.prompt)
    stream = TextStream(backend.token_bytes)

    def show(token: int) -> None:
        print(stream.add(token), end="", flush=True)

    print(args.prompt, end="", flush=True)
    backend.generate(prompt, args.max_new_tokens, _sampling(args), {vocab.eos_id()}, show)
    print(stream.finish())


def cmd_chat(args) -> None:
    """--message: one reply on stdout; else a REPL that keeps the conversation (/reset starts a new one)."""
    from model.chat import generate_reply

    backend, sampling = _backend(args), _sampling(args)
    system = [{"role": "system", "content": args.system}] if args.system else []

    def show(text: str) -> None:
        print(text, end="", flush=True)

    if args.message is not None:
        generate_reply(backend, system + [{"role": "user", "content": args.message}], args.max_new_tokens, sampling,
                       show)
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
            reply = generate_reply(backend, messages, args.max_new_tokens, sampling, show)
        except ModelInputError as err:  # this message cannot be answered (too long, a turn marker in it): say so, go on
            print(f"error: {err}", file=sys.stderr)
            messages.pop()
            continue
        print()
        messages.append({"role": "assistant", "content": reply.text})


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def _sampling_flags(parser: argparse.ArgumentParser, max_new_tokens: int) -> None:
    defaults = Sampling()
    parser.add_argument("--checkpoint", required=True,
                        help="checkpoint or Hugging Face model directory, or a GGUF file (run by llama.cpp)")
    parser.add_argument("--tokenizer", help="SentencePiece model (default: CHECKPOINT/tokenizer.model)")
    parser.add_argument("--threads", type=int, help="CPU threads (torch's, or llama.cpp's for a GGUF file)")
    parser.add_argument("--max-new-tokens", type=int, default=max_new_tokens)
    parser.add_argument("--temperature", type=float, default=defaults.temperature, help="0 is greedy")
    parser.add_argument("--top-k", type=int, default=defaults.top_k, help="0: off")
    parser.add_argument("--top-p", type=float, default=defaults.top_p, help="1: off")
    parser.add_argument("--repetition-penalty", type=float, default=defaults.repetition_penalty, help="1: off")
    parser.add_argument("--seed", type=int)


def cmd_export(args) -> None:
    from model.hf import to_hf

    out = to_hf(from_hf(args.checkpoint), args.out, tokenizer_dir=args.checkpoint)
    print(f"wrote a Hugging Face Gemma3ForCausalLM directory: {out}")


def cmd_export_gguf(args) -> None:
    from model.gguf.export import export_gguf, write_modelfile

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
    _sampling_flags(gen, max_new_tokens=128)
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--compile", action="store_true", help="torch.compile the decoding step (for long outputs)")
    gen.add_argument("--no-bos", dest="bos", action="store_false", help="do not start the prompt with BOS")
    talk = commands.add_parser("chat", help="talk to a (fine-tuned) checkpoint in Gemma 3's turns")
    _sampling_flags(talk, max_new_tokens=256)
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
