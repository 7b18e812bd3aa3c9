"""Checkpointing, one component: the full state gathered from a model that may be sharded (FSDP2), the RNG
states, and checkpoints that survive crashes: atomic, checksummed, pruned, with a `latest` pointer.

A checkpoint is a folder `<out_dir>/checkpoints/step_NNNNNNNN/` in the project's one model format, a Hugging Face
Gemma 3 directory (config.json, model.safetensors, the tokenizer files: what `python -m model` and transformers
read), plus `trainer_state.pt` (optimiser, scheduler, step, tokens seen, RNG states, config, git commit). It is
written as `step_N.tmp/`, every file fsynced, its sha256 sums written last into `checksums.json`, then renamed
into place; `latest` is a one-line file replaced the same way. Loading verifies the sums: a truncated or corrupt
checkpoint is skipped with a warning for the one before. The last `keep_last` are kept, plus the best by
validation loss.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from model.hf import to_hf
from pipeline.hashing import file_sha256

STATE, SUMS, LATEST = "trainer_state.pt", "checksums.json", "latest"


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def rng_states() -> dict:
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng(states: dict) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def full_state(module, optimizer, sharded: bool) -> tuple[dict, dict]:
    """The unsharded model and optimiser state dicts; under FSDP every process must take part (it gathers)."""
    if not sharded:
        return module.state_dict(), optimizer.state_dict()
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(module, options=options), get_optimizer_state_dict(module, optimizer, options=options)


def load_full_state(module, optimizer, sharded: bool, weights: dict, optimizer_state: dict) -> None:
    """Put unsharded state dicts back into a model and optimiser that may be sharded."""
    if not sharded:
        module.load_state_dict(weights)
        optimizer.load_state_dict(optimizer_state)
        return
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    options = StateDictOptions(full_state_dict=True)
    set_model_state_dict(module, weights, options=options)
    set_optimizer_state_dict(module, optimizer, optimizer_state, options=options)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


class Checkpoints:
    def __init__(self, out_dir: str | Path, keep_last: int, tokenizer: str | Path):
        self.root = Path(out_dir) / "checkpoints"
        self.keep_last, self.tokenizer = keep_last, Path(tokenizer)

    def save(self, module, state: dict, val_loss: float | None, weights: dict) -> Path:
        """Write a checkpoint: `weights` (the full, unsharded state dict of `module`) and `state`."""
        name = f"step_{state['step']:08d}"
        tmp, final = self.root / f"{name}.tmp", self.root / name
        shutil.rmtree(tmp, ignore_errors=True)
        to_hf(module, tmp, tokenizer_dir=self.tokenizer.parent, state_dict=weights)
        torch.save(state, tmp / STATE)
        sums = {p.name: file_sha256(p) for p in sorted(tmp.iterdir())}
        for path in tmp.iterdir():
            _fsync(path)
        (tmp / SUMS).write_text(json.dumps({"files": sums, "step": state["step"], "val_loss": val_loss}, indent=2))
        _fsync(tmp / SUMS)
        shutil.rmtree(final, ignore_errors=True)  # a re-run of the same step after a resume
        os.replace(tmp, final)
        _fsync(self.root)
        _replace_atomically(self.root / LATEST, name + "\n")
        self._prune()
        return final

    def _finished(self) -> list[Path]:
        return sorted(p for p in self.root.glob("step_*") if p.is_dir() and not p.name.endswith(".tmp"))

    def _prune(self) -> None:
        finished = self._finished()
        keep = set(finished[-self.keep_last :]) if self.keep_last > 0 else set()
        if (best := self.best()) is not None:
            keep.add(best)
        for path in finished:
            if path not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def best(self) -> Path | None:
        """The finished checkpoint with the lowest validation loss (the earliest of equals), or None before any
        was evaluated: kept by pruning whatever its age, and the report's "best"."""
        scored = []
        for folder in self._finished():
            loss = json.loads((folder / SUMS).read_text()).get("val_loss") if (folder / SUMS).exists() else None
            if loss is not None:
                scored.append((loss, folder))
        return min(scored)[1] if scored else None

    def problem(self, folder: Path) -> str | None:
        """Why `folder` is not a sound checkpoint, or None."""
        if not (folder / SUMS).exists():
            return "no checksums.json (the write did not finish)"
        for name, expected in json.loads((folder / SUMS).read_text())["files"].items():
            if not (folder / name).exists() or file_sha256(folder / name) != expected:
                return f"{name} is missing or its checksum differs (truncated or corrupt)"
        return None

    def latest_sound(self) -> Path | None:
        """The newest sound checkpoint, `latest` first; unsound ones are reported and passed over."""
        pointer = self.root / LATEST
        candidates = self._finished()[::-1]
        if pointer.exists():
            named = self.root / pointer.read_text().strip()
            candidates = [named] + [c for c in candidates if c != named]
        for folder in candidates:
            problem = self.problem(folder)
            if problem is None:
                return folder
            warnings.warn(f"checkpoint {folder} is unusable: {problem}; trying the previous one", stacklevel=2)
        return None

    @staticmethod
    def load_state(folder: Path) -> dict:
        return torch.load(folder / STATE, map_location="cpu", weights_only=False)

    @staticmethod
    def load_weights(folder: Path) -> dict:
        return load_file(str(folder / "model.safetensors"))
