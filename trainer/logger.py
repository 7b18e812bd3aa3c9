"""Training logs that outlive the process: JSON lines flushed at every write (fsynced every few), TensorBoard
scalars, and a progress line on the terminal. Only rank 0 writes."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


class RunLog:
    def __init__(self, out_dir: str | Path, enabled: bool, fsync_every: int, tensorboard: bool):
        self.enabled, self.fsync_every, self.lines = enabled, max(1, fsync_every), 0
        self.started = time.time()
        self.file = self.board = None
        if not enabled:
            return
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        self.file = open(Path(out_dir) / "log.jsonl", "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.board = SummaryWriter(str(Path(out_dir) / "tensorboard"))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        record = {**record, "elapsed": round(time.time() - self.started, 3)}
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()
        self.lines += 1
        if self.lines % self.fsync_every == 0:
            os.fsync(self.file.fileno())
        if self.board is not None and "step" in record:
            for key, value in record.items():
                if isinstance(value, int | float) and key not in ("step", "elapsed"):
                    self.board.add_scalar(f"{record.get('event', 'train')}/{key}", value, record["step"])

    def progress(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.file is not None:
            os.fsync(self.file.fileno())
            self.file.close()
        if self.board is not None:
            self.board.close()
