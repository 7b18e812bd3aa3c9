"""python -m webapp --checkpoint DIR [--workdir work] [--port 8000]: the chat, data and training pages and an
OpenAI-compatible API on 127.0.0.1 (the model is loaded before the server listens, so /health answers once
it is ready)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
import uvicorn

from model.backend import load_backend
from model.errors import ModelInputError
from model.gguf.backend import GGUF_PARALLEL, MAX_CONTEXT
from pipeline.errors import cli_errors
from trainer.checkpoint import Checkpoints
from webapp.data_browser import WorkFolder
from webapp.generation import ServedModel
from webapp.request_guards import allowed_host_names
from webapp.server import ServerLimits, create_app
from webapp.training_log import TrainingRuns


def resolve_checkpoint(path: Path) -> Path:
    """A checkpoint directory or GGUF file as given, or a training run's newest sound checkpoint when given its
    out_dir."""
    if path.suffix == ".gguf":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such GGUF file (python -m model export-gguf writes one)")
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder: give a checkpoint, a Hugging Face Gemma 3 folder, a GGUF "
                                "file or a training run's out_dir (make demo writes work/sample_run)")
    if (path / "checkpoints").is_dir():
        found = Checkpoints(path, keep_last=0, tokenizer="").latest_sound()
        if found is None:
            raise FileNotFoundError(f"{path}/checkpoints holds no sound checkpoint yet")
        return found
    return path


def default_model_name(checkpoint: Path) -> str:
    """`<run>/<step_N>` for a trainer checkpoint, else the folder's (or GGUF file's) name: what /v1/models lists."""
    if checkpoint.parent.name == "checkpoints":
        return f"{checkpoint.parent.parent.name}/{checkpoint.name}"
    return checkpoint.stem if checkpoint.suffix == ".gguf" else checkpoint.name


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = ServerLimits()
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
    parser.add_argument("--checkpoint", required=True, type=Path,
                        help="checkpoint, Hugging Face Gemma 3 directory, training run's out_dir (its newest), or a "
                        "GGUF file (served through llama.cpp)")
    parser.add_argument("--tokenizer", help="SentencePiece model (default: CHECKPOINT/tokenizer.model)")
    parser.add_argument("--model-name", help="the model id clients name (default: <run>/<step> of the checkpoint)")
    parser.add_argument("--workdir", default="work", help="the pipeline work folder the data pages read")
    parser.add_argument("--cards", default="data_cards", help="the data cards folder (pipeline config cards_dir)")
    parser.add_argument("--runs", action="append", default=None,
                        help="folder holding training out_dirs (repeatable; default: runs and the work folder)")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 opens the server to the network: no auth!")
    parser.add_argument("--port", type=_at_least(1), default=8000)
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="a further name the server answers to in the Host header (repeatable; it answers to "
                             "127.0.0.1, localhost, [::1] and --host; others get 421, against DNS rebinding); "
                             "'*' turns the check off, for a proxy that checks Host itself")
    parser.add_argument("--device", default="cuda" if _cuda() else "cpu")
    parser.add_argument("--threads", type=int, help="CPU threads: torch's, or llama.cpp's for a GGUF file (default: "
                        "torch's choice, or all cores). PyTorch decodes one sequence at a time: for small models 1 "
                        "thread is fastest, and far faster on a busy machine")
    parser.add_argument("--parallel", type=_at_least(1), default=None,
                        help=f"a GGUF file: requests llama.cpp decodes together in one batch per step (default "
                             f"{GGUF_PARALLEL}; each has its own KV cache of --context positions). A PyTorch "
                             "checkpoint serves one at a time")
    parser.add_argument("--context", type=_at_least(1), help="a GGUF file's context in tokens (default: its trained "
                        f"context, at most {MAX_CONTEXT:,}: llama.cpp allocates a KV cache of it per --parallel "
                        "request at start)")
    parser.add_argument("--max-tokens", type=_at_least(1), default=defaults.max_tokens,
                        help="most tokens one request gets")
    parser.add_argument("--max-message-chars", type=_at_least(1), default=defaults.max_message_chars)
    parser.add_argument("--max-waiting", type=_at_least(0), default=defaults.max_waiting,
                        help="requests that may wait while one is generating; more are answered 429 (0: none wait)")
    return parser.parse_args(argv)


def _at_least(minimum: int):
    """An argparse type: an integer of at least `minimum` (argparse names the option in its error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value

    return parse


def _cuda() -> bool:
    return torch.cuda.is_available()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads and args.checkpoint.suffix != ".gguf":
        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return cli_errors(lambda: serve(args), ModelInputError)


def serve(args: argparse.Namespace) -> None:
    checkpoint = resolve_checkpoint(args.checkpoint)
    gguf = checkpoint.suffix == ".gguf"
    parallel = args.parallel or (GGUF_PARALLEL if gguf else 1)
    backend = load_backend(checkpoint, args.tokenizer, args.device, args.threads, context=args.context,
                           parallel=parallel)
    model = ServedModel(backend, args.model_name or default_model_name(checkpoint))
    limits = ServerLimits(max_tokens=args.max_tokens, max_message_chars=args.max_message_chars,
                          max_waiting=args.max_waiting, default_max_tokens=min(256, args.max_tokens))
    training = TrainingRuns(args.runs or ["runs", args.workdir])
    app = create_app(model, WorkFolder(args.workdir, args.cards), training, limits,
                     allowed_host_names(args.host, args.allowed_host))
    print(f"serving {model.name} from {checkpoint} on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    sys.exit(main())
