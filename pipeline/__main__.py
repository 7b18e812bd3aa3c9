"""Command line: `python -m pipeline {run,card,where} CONFIG [...]`, and `python -m pipeline romanize` (Devanagari
lines on stdin, one Hinglish-style romanised line per input line on stdout; `--seed N` samples spelling variants).

Any config key can be overridden as `--set KEY=VALUE` or `--KEY=VALUE` with a dotted key, for example
`--executor.tasks=4` or `--stages.ingest.devanagari_digits=ascii`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# ruff: noqa: E402 (the project's imports follow the thread settings, which must come before numpy's import)
if __name__ == "__main__":  # the command only: a test importing main() keeps its process's torch threads
    # numpy's OpenBLAS (or MKL/OpenMP) pool would be the only other thread of a stage process, and a process with
    # threads starts its workers through a forkserver that imports the project again, 1-2 CPU s per executor run
    # (executors._start_method). The stages' numpy work is too small to want those threads.
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

from pipeline.config import RunConfig, load_run_config
from pipeline.errors import cli_errors
from pipeline.runner import finish_stage, redo_from, run_stages
from pipeline.stages import STAGES, get_stage
from pipeline.typed_config import cli_overrides


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    stage_names = ", ".join(f"{s.name} ({s.folder}: {s.summary})" for s in STAGES)
    for name, text in (
        ("run", "run stages (all, in order, unless --stage is given) and write their cards"),
        ("card", "write the cards of stages that have run (after a Slurm run, or to refresh them)"),
        ("where", "print where a run's outputs, rejects, stats and cards are"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("config", help="run config (YAML), e.g. configs/local.yaml")
        command.add_argument("--stage", action="append", default=[], help=f"stage to run; one of: {stage_names}")
        command.add_argument(
            "--input",
            action="append",
            default=[],
            metavar="PATH",
            help="local file or folder (JSONL[.gz|.zst], Parquet, text); replaces the sources",
        )
        command.add_argument("--workdir", help="where run folders go (default: the config's workdir)")
        command.add_argument("--run", help="run name (default: the config's, or derived from --input)")
        command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
        if name == "where":
            command.add_argument("--run-dir", action="store_true", help="print only the run folder (for scripts)")
        if name == "run":
            command.add_argument("--strict", action="store_true", help="stop at the first bad input record")
            command.add_argument("--no-cards", action="store_true", help="skip writing the cards")
            command.add_argument("--redo-from", metavar="STAGE",
                                 help="remove this stage's folder and every later one, then run (after a change)")
    romanize = commands.add_parser("romanize", help="Devanagari lines on stdin → romanised Hindi lines on stdout")
    romanize.add_argument("--seed", type=int, help="sample among common spellings (nahi/nahin) with this seed")
    lid = commands.add_parser(
        "hinglish-lid",
        help="train the romanised-Hindi detector (fastText: hi_Deva, hi_Latn, en, other) and report its F1",
    )
    for flag, text in (
        ("--devanagari", "Devanagari Hindi documents (their romanised copies become hi_Latn examples)"),
        ("--english", "English documents"),
        ("--hinglish", "real romanised Hindi / code-mixed documents (20%% held out for the test)"),
        ("--mixed", "documents of any script, sorted by Devanagari share and lid.176 (e.g. a stage's output)"),
    ):
        lid.add_argument(flag, action="append", default=[], type=Path, metavar="PATH", help=text)
    lid.add_argument("--out", type=Path, required=True, help="folder for model.bin and report.json")
    lid.add_argument("--seed", type=int, default=0)
    lid.add_argument("--per-label", type=int, default=40_000, help="training lines per label at most")
    return parser


def _hinglish_lid(args: argparse.Namespace) -> int:
    from pipeline.filter.hinglish_lid_training import collect, train_hinglish_lid

    data = collect(args.devanagari, args.english, args.hinglish, args.mixed)
    report = train_hinglish_lid(data, args.out, args.seed, args.per_label)
    test = report["test"]
    print(
        f"hinglish-lid: {report['model']} threshold {report['threshold']}; test F1 {test['f1']} (precision "
        f"{test['precision']}, recall {test['recall']}) on {test['hinglish_documents']} Hinglish and "
        f"{test['negatives']} English lines and Devanagari documents; lid.176 calls that Hinglish "
        f"{report['lid176_on_test_hinglish']}; report: {args.out / 'report.json'}"
    )
    return 0


def _romanize(seed: int | None) -> None:
    from pipeline.hinglish.romanize import romanize

    for n, line in enumerate(sys.stdin):
        sys.stdout.write(romanize(line, None if seed is None else seed + n))


def _config(args: argparse.Namespace, extra: list[str]) -> RunConfig:
    overrides = list(args.set) + cli_overrides(extra)
    if getattr(args, "strict", False):
        overrides.append("stages.ingest.strict=true")
    return load_run_config(args.config, overrides, args.input, args.workdir, args.run)


def _where(config: RunConfig) -> None:
    from pipeline.cards import card_dir

    print(f"run {config.run}: {config.run_dir}")
    for stage in STAGES:
        paths = stage.paths(config)
        if paths.root.exists():
            print(f"  {stage.folder}: output {paths.output} | rejected {paths.rejected} | stats {paths.stats}")
            print(f"  {'':{len(stage.folder)}}  card {card_dir(config) / (stage.folder + '.md')}")


def main(argv: list[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    return cli_errors(lambda: _command(args, extra))


def _command(args: argparse.Namespace, extra: list[str]) -> int:
    if args.command == "romanize":
        _romanize(args.seed)
        return 0
    if args.command == "hinglish-lid":
        return _hinglish_lid(args)
    config = _config(args, extra)
    if args.command == "run":
        if args.redo_from:
            for removed in redo_from(config, args.redo_from):
                print(f"removed {removed}")
        for summary in run_stages(config, args.stage, write_cards=not args.no_cards):
            added = f" + {summary['documents_added']:,} added" if summary["documents_added"] else ""
            print(
                f"{summary['stage']}: {summary['documents_in']:,} in{added} = {summary['documents_out']:,} out "
                f"+ {summary['documents_set_aside']:,} set aside"
            )
        _where(config)
    elif args.command == "card":
        for stage in [get_stage(n) for n in args.stage] or STAGES:
            if stage.paths(config).logs.exists():
                finish_stage(config, stage)
        _where(config)
    elif args.run_dir:
        print(config.run_dir)
    else:
        _where(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
