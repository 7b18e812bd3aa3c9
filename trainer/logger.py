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

    def rewind(self, step: int) -> list[int]:
        """Drop the records after `step` (a resumed run writes those steps again) so the log holds one record per
        step; the dropped lines go to log.superseded.jsonl, kept for whoever looks into the crash. Returns the
        steps dropped."""
        if not self.enabled:
            return []
        path = Path(self.file.name)
        self.file.close()
        kept, dropped, steps = [], [], []
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            record = _parsed(line)
            if record is not None and record.get("step", 0) <= step:
                kept.append(line)
                continue
            dropped.append(line if line.endswith("\n") else line + "\n")  # a line the kill cut short goes too
            if record is not None and "event" not in record and "step" in record:
                steps.append(record["step"])
        if dropped:
            with open(path.with_name("log.superseded.jsonl"), "a", encoding="utf-8") as superseded:
                superseded.writelines(dropped)
            tmp = path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(kept), encoding="utf-8")
            tmp.replace(path)
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        return steps

    def progress(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.file is not None:
            os.fsync(self.file.fileno())
            self.file.close()
        if self.board is not None:
            self.board.close()


def _parsed(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None
