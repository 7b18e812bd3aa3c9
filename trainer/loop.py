"""The training run, top to bottom: config, tokenizer and shards, model, optimiser, resume, then the steps,
with evaluation, samples, checkpoints and logs on the way."""

from __future__ import annotations

import dataclasses
import math
import random
import signal
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch
from torch.nn.parallel import DistributedDataParallel

from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from trainer import distributed
from trainer.checkpoint import Checkpoints, git_commit
from trainer.config import TrainConfig
from trainer.data import ShardWindows, read_meta, tokenizer_of_shards
from trainer.evaluation import byte_lengths, flops_per_token, peak_flops, samples, validation
from trainer.logger import RunLog
from trainer.schedule import learning_rate


class TrainingStopped(RuntimeError):
    """The run cannot go on (NaN losses, out of memory); the message says why and what to change."""


def _optimizer(module, config: TrainConfig, fused: bool) -> torch.optim.AdamW:
    matrices = [p for p in module.parameters() if p.dim() >= 2]  # weight decay on matrices only
    vectors = [p for p in module.parameters() if p.dim() < 2]  # norms
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=fused)


def _rng_states() -> dict:
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _restore_rng(states: dict) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class Trainer:
    def __init__(self, config: TrainConfig, resume: bool):
        self.config = c = config
        self.processes = p = distributed.start(c.device)
        torch.manual_seed(c.seed)  # the same initial weights on every process
        tokenizer = c.tokenizer or tokenizer_of_shards(c.data_dir)
        if not Path(tokenizer).is_file():
            raise FileNotFoundError(f"no tokenizer at {tokenizer!r}: pass --tokenizer=FILE.model (or run make shards)")
        self.sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
        self.model_config = preset(c.model).with_vocab(self.sp.get_piece_size())
        meta = read_meta(c.data_dir, tokenizer, self.model_config.vocab_size)
        self.train_windows = ShardWindows(c.data_dir, meta, "train", c.block_size, c.seed)
        self.val_windows = ShardWindows(c.data_dir, meta, "val", c.block_size, c.seed)
        self.lengths = byte_lengths(self.sp, self.model_config.vocab_size)

        self.module = Gemma3ForCausalLM(self.model_config, attention=c.attention).to(p.device)
        if c.activation_checkpointing:
            distributed.checkpoint_activations(self.module)
        self.model = distributed.parallelize(self.module, p, c.distributed, c.compile)
        self.fsdp = p.distributed and c.distributed == "fsdp"
        self.optimizer = _optimizer(self.module, c, fused=p.device.type == "cuda" or not self.fsdp)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: learning_rate(step, c.lr, c.min_lr, c.warmup_steps, c.max_steps) / c.lr)
        bf16 = c.dtype == "bfloat16" or (c.dtype == "auto" and p.device.type == "cuda")
        self.autocast = torch.autocast(p.device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        self.checkpoints = Checkpoints(c.out_dir, c.keep_last, tokenizer)
        self.log = RunLog(c.out_dir, p.main, c.fsync_every, c.tensorboard)
        self.step, self.tokens, self.best_val = 0, 0, math.inf
        self.tokens_per_step = c.batch_size * c.grad_accum * p.world_size * c.block_size
        self.flops_per_token = flops_per_token(self.model_config, c.block_size, self.module.parameter_counts()["total"])
        self.peak = peak_flops(p.device, c.peak_tflops)
        self.stop_requested = False
        if resume:
            self._resume()

    # -- state ---------------------------------------------------------------------------------------------
    def _full_state(self) -> tuple[dict, dict]:
        if not self.fsdp:
            return self.module.state_dict(), self.optimizer.state_dict()
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            get_model_state_dict,
            get_optimizer_state_dict,
        )

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return (get_model_state_dict(self.module, options=options),
                get_optimizer_state_dict(self.module, self.optimizer, options=options))

    def _load_full_state(self, weights: dict, optimizer: dict) -> None:
        if not self.fsdp:
            self.module.load_state_dict(weights)
            self.optimizer.load_state_dict(optimizer)
            return
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            set_model_state_dict,
            set_optimizer_state_dict,
        )

        options = StateDictOptions(full_state_dict=True)
        set_model_state_dict(self.module, weights, options=options)
        set_optimizer_state_dict(self.module, self.optimizer, optimizer, options=options)

    def save(self, val_loss: float | None) -> None:
        weights, optimizer = self._full_state()  # every process takes part (FSDP gathers)
        if self.processes.main:
            state = {"step": self.step, "tokens": self.tokens, "best_val": self.best_val, "optimizer": optimizer,
                     "scheduler": self.scheduler.state_dict(), "rng": _rng_states(),
                     "config": dataclasses.asdict(self.config), "git_commit": git_commit(),
                     "world_size": self.processes.world_size}
            folder = self.checkpoints.save(self.module, state, val_loss, weights)
            self.log.write({"event": "checkpoint", "step": self.step, "path": str(folder)})
        if self.processes.distributed:
            torch.distributed.barrier()

    def _resume(self) -> None:
        from safetensors.torch import load_file

        folder = self.checkpoints.latest_sound()
        if folder is None:
            self.log.progress(f"--resume: no usable checkpoint under {self.checkpoints.root}; starting at step 0")
            return
        state = Checkpoints.load_state(folder)
        self._load_full_state(load_file(str(folder / "model.safetensors")), state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.tokens, self.best_val = state["step"], state["tokens"], state["best_val"]
        _restore_rng(state["rng"])
        self.log.write({"event": "resume", "step": self.step, "from": str(folder)})

    # -- steps ---------------------------------------------------------------------------------------------
    def _micro_batches(self):
        c, p = self.config, self.processes
        for micro in range(c.grad_accum):
            inputs, targets = self.train_windows.batch(c.batch_size, self.step, micro * p.world_size + p.rank)
            # DDP: all-reduce the gradients once, after the last micro-batch
            defer = isinstance(self.model, DistributedDataParallel) and micro < c.grad_accum - 1
            sync = self.model.no_sync() if defer else nullcontext()
            yield inputs.to(p.device), targets.to(p.device), sync

    def train_step(self) -> dict:
        """One optimiser step; the NaN/inf guard skips it (and says so) instead of stepping."""
        c = self.config
        started = time.perf_counter()
        loss_sum = torch.zeros((), device=self.processes.device)
        for inputs, targets, sync in self._micro_batches():
            with sync, self.autocast:
                loss = self.model(inputs, targets) / c.grad_accum
            loss.backward()
            loss_sum += loss.detach().float()
        loss_value = distributed.mean_over_processes(loss_sum, self.processes).item()
        record = {"loss": loss_value, "lr": self.scheduler.get_last_lr()[0]}
        if not math.isfinite(loss_value):
            self.optimizer.zero_grad(set_to_none=True)
            return record | {"skipped": True}
        norm = torch.nn.utils.clip_grad_norm_(self.module.parameters(), c.grad_clip if c.grad_clip > 0 else math.inf)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - started
        tokens_per_second = self.tokens_per_step / seconds
        mfu = self.flops_per_token * tokens_per_second / (self.peak * self.processes.world_size) if self.peak else None
        return record | {"grad_norm": float(norm), "tokens_per_s": round(tokens_per_second, 1),
                         "mfu": round(mfu, 4) if mfu is not None else None}

    def evaluate(self) -> float:
        c = self.config
        figures = validation(self.model, self.val_windows, c.eval_batches, c.batch_size, self.processes.device,
                             self.autocast, self.lengths)
        self.log.write({"event": "eval", "step": self.step, **figures})
        if c.sample_tokens and self.processes.main and not self.fsdp:
            generated = samples(self.module, self.sp, c.sample_prompts, c.sample_tokens, self.processes.device)
            self.log.write({"event": "samples", "step": self.step, "samples": generated})
        return figures["val_loss"]

    def _request_stop(self, signum, frame) -> None:
        self.stop_requested = True  # acted on at the next step boundary

    def run(self) -> None:
        c = self.config
        signal.signal(signal.SIGTERM, self._request_stop)
        bad_in_a_row = 0
        try:
            while self.step < c.max_steps:
                try:
                    record = self.train_step()
                except torch.OutOfMemoryError:
                    raise TrainingStopped(
                        f"out of memory at batch_size={c.batch_size} × grad_accum={c.grad_accum} × block_size="
                        f"{c.block_size}: lower --batch_size and raise --grad_accum by the same factor (same tokens "
                        f"per step), or set --activation_checkpointing=true") from None
                bad_in_a_row = bad_in_a_row + 1 if record.get("skipped") else 0
                if bad_in_a_row >= c.max_bad_steps:
                    raise TrainingStopped(f"{bad_in_a_row} non-finite losses in a row up to step {self.step + 1}: "
                                          f"lower --lr (now {c.lr}) or --grad_clip, or look for bad shards")
                self.step += 1  # steps done
                self.tokens += 0 if record.get("skipped") else self.tokens_per_step
                self.log.write({"step": self.step, **record, "tokens": self.tokens})
                self.log.progress(f"step {self.step}/{c.max_steps} loss {record['loss']:.4f} "
                                  f"lr {record['lr']:.2e} {record.get('tokens_per_s', 0):,.0f} tok/s")
                val_loss = None
                if self.step % c.eval_every == 0 or self.step == c.max_steps:
                    val_loss = self.evaluate()
                    self.best_val = min(self.best_val, val_loss)
                stop = distributed.any_process(self.stop_requested, self.processes)
                if stop or self.step % c.checkpoint_every == 0 or self.step == c.max_steps:
                    self.save(val_loss)
                if stop:
                    self.log.write({"event": "stopped", "step": self.step, "reason": "SIGTERM"})
                    break
        finally:
            self.log.close()
            distributed.stop()
