"""python -m trainer CONFIG [--resume] [--KEY=VALUE ...]: pretrain on uint16 shards (torchrun for several
processes: `torchrun --nproc_per_node=N -m trainer CONFIG`, or `NPROC=N make train`)."""

from __future__ import annotations

import argparse
import sys

from pipeline.typed_config import ConfigError, cli_overrides, load_config
from trainer.config import TrainConfig
from trainer.data import ShardMismatchError
from trainer.loop import Trainer, TrainingStopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    parser.add_argument("config", help="training config (YAML), e.g. configs/train_tiny.yaml")
    parser.add_argument("--resume", action="store_true", help="continue from the newest sound checkpoint")
    args, extra = parser.parse_known_args(argv)
    try:
        config = load_config(TrainConfig, args.config, cli_overrides(extra))
        Trainer(config, resume=args.resume).run()
    except (ConfigError, FileNotFoundError, ShardMismatchError, TrainingStopped, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
