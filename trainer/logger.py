"""Training logs that outlive the process: JSON lines flushed at every write (fsynced every few), TensorBoard
scalars, and a progress line on the terminal. Only rank 0 writes.

The format's one home: `RunLog` writes `<out_dir>/log.jsonl` (one record per step, `event` records for
evaluations, samples, checkpoints, resumes), and every reader (the resume's rewind, the report, the web app's
training page) parses it with `parse_line` / `read_log` and sorts it with `is_step` / `is_event`. A line a kill
cut short is no record: it is passed over, and the next resume moves it to log.superseded.jsonl."""

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
        self.file = open(Path(out_dir) / LOG, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
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
            record = parse_line(line)
            if record is not None and record.get("step", 0) <= step:
                kept.append(line)
                continue
            dropped.append(line if line.endswith("\n") else line + "\n")  # a line the kill cut short goes too
            if record is not None and is_step(record):
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


LOG = "log.jsonl"


def parse_line(line: str | bytes) -> dict | None:
    """A log line's record, or None for a line that is not one (cut short by a kill)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def read_log(out_dir: str | Path) -> list[dict]:
    """Every record of a run's log, in order; lines that are not records are passed over."""
    path = Path(out_dir) / LOG
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: {out_dir} is not a training run (python -m trainer ...)")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [record for record in map(parse_line, lines) if record is not None]


def is_step(record: dict) -> bool:
    """A training step's record (step, loss, lr, tokens_per_s, ...)."""
    return "event" not in record and "step" in record


def is_event(record: dict, kind: str | None = None) -> bool:
    """An `event` record (eval, samples, checkpoint, resume, stopped), of `kind` when given."""
    return "event" in record and (kind is None or record["event"] == kind)
