"""A training run's `log.jsonl` read while the trainer writes it (trainer/logger.py): step records (step, loss,
lr, tokens_per_s, ...) and `event` records (eval with val_loss and val_bpb, samples, checkpoint, resume, stopped).

The page polls with the byte offset it has read up to and gets only the lines completed since; a line still
being written waits for the next poll. A resumed run rewrites the log shorter (RunLog.rewind), so an offset past
the end of the file means: start again from 0.
"""

from __future__ import annotations

from pathlib import Path

from trainer.logger import LOG, is_event, is_step, parse_line
from webapp.data_browser import NotFound, safe_name

REPORT = "report.html"
# What the plots and the status line use; the rest of a record (grad_norm, mfu, ...) stays in the file.
STEP_FIELDS = ("step", "loss", "lr", "tokens_per_s", "tokens", "elapsed", "grad_norm")


def read_new_records(path: Path, offset: int, max_bytes: int = 8_000_000) -> dict:
    """Records of the complete lines after byte `offset` (at most about `max_bytes` of them per call), the offset
    to ask from next, and `reset` when the file is now shorter than `offset` (rewritten: read it from 0)."""
    size = path.stat().st_size
    reset = offset > size
    start = 0 if reset else offset
    with open(path, "rb") as f:
        f.seek(start)
        chunk = f.read(max_bytes)
    complete = chunk[: chunk.rfind(b"\n") + 1]  # a last line without its newline is still being written
    steps, events = [], []
    for record in map(parse_line, complete.splitlines()):
        if record is None:  # a line a killed run cut short; the trainer rewinds past it on resume
            continue
        if is_event(record):
            events.append(record)
        elif is_step(record):
            steps.append({k: record[k] for k in STEP_FIELDS if k in record})
    return {"steps": steps, "events": events, "offset": start + len(complete), "reset": reset,
            "more": start + len(complete) < size and len(chunk) == max_bytes}


class TrainingRuns:
    """Trainer output folders (`out_dir`s holding a log.jsonl), found directly under the given folders."""

    def __init__(self, roots: list[str | Path]):
        self.roots = [Path(r) for r in roots]

    def runs(self) -> list[str]:
        found = {p.parent.name for root in self.roots if root.is_dir() for p in root.glob(f"*/{LOG}")}
        return sorted(found)

    def out_dir(self, run: str) -> Path:
        for root in self.roots:
            folder = root / safe_name(run, "training run")
            if (folder / LOG).is_file():
                return folder
        roots = ", ".join(str(r) for r in self.roots)
        raise NotFound(f"no training run {run!r} (a folder with {LOG}) under {roots}")

    def poll(self, run: str, offset: int) -> dict:
        """New log records since `offset`, and whether the run's report page exists yet."""
        folder = self.out_dir(run)
        return {"run": run, **read_new_records(folder / LOG, offset), "report": (folder / REPORT).is_file()}

    def report(self, run: str) -> Path:
        path = self.out_dir(run) / REPORT
        if not path.is_file():
            raise NotFound(f"training run {run!r} has no {REPORT} yet (make report RUN=...)")
        return path
