"""python -m tokenizer {train,shard,eval,check}: train the SentencePiece model, shard text into uint16 .bin files,
measure a tokenizer against the reference ones, validate a shard folder.

Config keys can be overridden as --KEY=VALUE with a dotted key, e.g. --train.vocab_size=32000.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.documents import read_documents
from pipeline.errors import cli_errors
from pipeline.tokenize.shards import check_shards, write_shards
from pipeline.typed_config import cli_overrides, load_config
from pipeline.workdir import last_stage_output
from tokenizer.card import compare, read_lines
from tokenizer.config import TokenizerConfig
from tokenizer.metrics import comparison_table
from tokenizer.train import train_tokenizer


def _config(args, extra: list[str]) -> TokenizerConfig:
    config = load_config(TokenizerConfig, args.config, cli_overrides(extra))
    if args.out:
        config.out = args.out
    return config


def cmd_train(args, extra) -> None:
    config = _config(args, extra)
    config.sample.inputs = args.input or config.sample.inputs or last_stage_output(config.run_dir)
    model = train_tokenizer(config)
    print(f"tokenizer: {model}\ncard: {model.parent / 'card.md'}")


def cmd_shard(args, extra) -> None:
    config = _config(args, extra)
    config.shards.inputs = args.input or config.shards.inputs or last_stage_output(config.run_dir)
    if args.shards_out:
        config.shards.out = args.shards_out
    model = Path(args.tokenizer or Path(config.out) / "tokenizer.model")
    if not model.exists():
        raise FileNotFoundError(f"no tokenizer at {model}: run `make tokenizer` or pass --tokenizer FILE.model")
    meta = write_shards(config.shards, model)
    totals = meta["totals"]
    print(f"shards: {config.shards.out} (train {totals['train']['tokens']:,} tokens in "
          f"{totals['train']['documents']:,} documents, val {totals['val']['tokens']:,} in "
          f"{totals['val']['documents']:,})")


def cmd_eval(args, extra) -> None:
    path = Path(args.text)
    if path.name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")):
        lines = [line for doc in read_documents([path]) for line in doc.text.split("\n") if line.strip()]
    else:
        lines = read_lines(path)
    rows = compare(args.model, lines, None if args.compare else [])
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(comparison_table(rows))


def cmd_check(args, extra) -> int:
    problems = check_shards(Path(args.folder), Path(args.model))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{args.folder}: every shard agrees with meta.json and {args.model}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tokenizer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="sample, train, write HF files and the card")
    shard = commands.add_parser("shard", help="encode documents into uint16 .bin shards + meta.json")
    for command in (train, shard):
        command.add_argument("config", help="tokenizer config (YAML), e.g. configs/tokenizer.yaml")
        command.add_argument("--input", action="append", default=[], metavar="PATH",
                             help="JSONL or text files/folders; replaces the config's inputs")
        command.add_argument("--out", help="tokenizer folder (default: the config's `out`)")
    shard.add_argument("--tokenizer", help="SentencePiece model (default: OUT/tokenizer.model)")
    shard.add_argument("--shards-out", help="shard folder (default: the config's shards.out)")
    evaluate = commands.add_parser("eval", help="tokens per word, bytes per token, byte fallback, round trip")
    evaluate.add_argument("--model", required=True, help="SentencePiece .model")
    evaluate.add_argument("--text", required=True, help="text file (a line each) or JSONL")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--compare", action="store_true", help="also the reference tokenizers in ../shared")
    check = commands.add_parser("check", help="validate a shard folder against its meta.json and a tokenizer")
    check.add_argument("folder")
    check.add_argument("--model", required=True)
    args, extra = parser.parse_known_args(argv)
    handlers = {"train": cmd_train, "shard": cmd_shard, "eval": cmd_eval, "check": cmd_check}
    return cli_errors(lambda: handlers[args.command](args, extra))


if __name__ == "__main__":
    sys.exit(main())
