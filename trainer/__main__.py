"""python -m trainer CONFIG [--resume | --overwrite] [--KEY=VALUE ...]: pretrain on uint16 shards, or fine-tune on
conversations with an SFT config (torchrun for several processes: `torchrun --nproc_per_node=N -m trainer CONFIG`,
or `NPROC=N make train`). python -m trainer sft-data CONFIG: build the SFT conversations; python -m trainer
sft-eval --checkpoint DIR ...: SFT val loss, format adherence and script agreement of checkpoints."""

from __future__ import annotations

import argparse
import sys

from model.errors import ModelInputError
from pipeline.documents import BadRecordError
from pipeline.typed_config import ConfigError, cli_overrides, load_config
from trainer.config import TrainConfig
from trainer.data import ShardMismatchError
from trainer.loop import Trainer, TrainingStopped
from trainer.sft import SFTDataError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sft-data"]:
        from trainer.sft_data import main as sft_data_main

        return sft_data_main(argv[1:])
    if argv[:1] == ["sft-eval"]:
        from trainer.sft_eval import main as sft_eval_main

        return sft_eval_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    parser.add_argument("config", help="training config (YAML), e.g. configs/train_tiny.yaml")
    parser.add_argument("--resume", action="store_true", help="continue from the newest sound checkpoint")
    parser.add_argument("--overwrite", action="store_true",
                        help="clear out_dir's run (log, checkpoints, TensorBoard, report) and start again")
    args, extra = parser.parse_known_args(argv)
    try:
        config = load_config(TrainConfig, args.config, cli_overrides(extra))
        Trainer(config, resume=args.resume, overwrite=args.overwrite).run()
    except (ConfigError, FileNotFoundError, ShardMismatchError, SFTDataError, TrainingStopped, ModelInputError,
            BadRecordError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
