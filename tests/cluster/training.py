"""Training runs for the cluster tests: shards, the trainer command, and torchrun processes in their own
process groups (so that a whole node can be killed)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import REPO
from tests.trainer_helpers import read_log, step_losses

TINY = REPO / "configs" / "train_tiny.yaml"
# 40 steps, a checkpoint every 10: a kill after step 15 leaves steps to run again after the resume
SETTINGS = ["--max_steps=40", "--warmup_steps=4", "--eval_every=20", "--checkpoint_every=10", "--batch_size=4",
            "--tensorboard=false", "--sample_tokens=0"]


def trainer_args(shards: Path, out_dir: Path, *extra: str) -> list[str]:
    return ["-m", "trainer", str(TINY), f"--data_dir={shards}", f"--out_dir={out_dir}", *SETTINGS, *extra]


def torchrun(nnodes: int, nproc: int, *rest: str, node_rank: int | None = None, endpoint: str = "") -> list[str]:
    """torchrun for one node of `nnodes`: standalone on one node, else a c10d rendezvous at `endpoint`."""
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    if nnodes == 1:
        return [*command, "--standalone", *rest]
    return [*command, f"--nnodes={nnodes}", f"--node_rank={node_rank}", "--rdzv_backend=c10d",
            f"--rdzv_endpoint={endpoint}", "--rdzv_id=cluster-test", *rest]


def last_step(out_dir: Path) -> int:
    """The newest step a (maybe not yet started) run has logged; 0 before its log exists."""
    return max(step_losses(read_log(out_dir)), default=0) if (out_dir / "log.jsonl").exists() else 0
