"""python -m evaluation {evaluate,make-tasks,sft-eval,report}: measure a checkpoint on held-out texts and tasks,
write the held-out set, measure what SFT changed, and write a training run's report. Each command lives in its
module (an `add_commands(subparsers) -> {name: handler}`); a new one is one more entry in COMMANDS."""

from __future__ import annotations

import argparse
import sys

from evaluation import commands, report, sft_eval
from evaluation.report_sources import ReportInputError
from model.errors import ModelInputError
from pipeline.documents import BadRecordError, NoDocumentsError
from trainer.sft.batches import SFTDataError

COMMANDS = (commands, sft_eval, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    handlers = {name: handler for module in COMMANDS for name, handler in module.add_commands(subparsers).items()}
    args = parser.parse_args(argv)
    try:
        handlers[args.command](args)
    except (FileNotFoundError, ModelInputError, BadRecordError, NoDocumentsError, ReportInputError,
            SFTDataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
