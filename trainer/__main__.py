"""python -m trainer CONFIG [--resume] [--KEY=VALUE ...]: pretrain on uint16 shards, or fine-tune on
conversations with an SFT config (torchrun for several processes: `torchrun --nproc_per_node=N -m trainer CONFIG`,
or `NPROC=N make train`). python -m trainer sft-data CONFIG: build the SFT conversations (`python -m evaluation
sft-eval` measures what SFT changed)."""

from __future__ import annotations

import argparse
import sys

from model.errors import ModelInputError
from pipeline.errors import cli_errors
from pipeline.typed_config import cli_overrides, load_config
from trainer.config import TrainConfig
from trainer.loop import Trainer


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sft-data"]:
        from trainer.sft.data import main as sft_data_main

        return sft_data_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    parser.add_argument("config", help="training config (YAML), e.g. configs/train_tiny.yaml")
    parser.add_argument("--resume", action="store_true", help="continue from the newest sound checkpoint")
    args, extra = parser.parse_known_args(argv)

    def train() -> None:
        Trainer(load_config(TrainConfig, args.config, cli_overrides(extra)), resume=args.resume).run()

    return cli_errors(train, ModelInputError)


if __name__ == "__main__":
    sys.exit(main())
