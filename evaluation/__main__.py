"""python -m evaluation {evaluate,make-tasks,sft-eval,report}: measure a checkpoint on held-out texts and tasks,
write the held-out set, measure what SFT changed, and write a training run's report. Each command lives in its
module (an `add_commands(subparsers) -> {name: handler}`); a new one is one more entry in COMMANDS."""

from __future__ import annotations

import argparse
import sys

from evaluation import commands, report, sft_eval
from model.errors import ModelInputError
from pipeline.errors import cli_errors

COMMANDS = (commands, sft_eval, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    handlers = {name: handler for module in COMMANDS for name, handler in module.add_commands(subparsers).items()}
    args = parser.parse_args(argv)
    return cli_errors(lambda: handlers[args.command](args), ModelInputError)


if __name__ == "__main__":
    sys.exit(main())
