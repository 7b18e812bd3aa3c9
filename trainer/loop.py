"""The training run, top to bottom: config, tokenizer and shards, model, optimiser, resume, then the steps,
with evaluation, samples, checkpoints and logs on the way."""

from __future__ import annotations

import dataclasses
import math
import signal
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import sentencepiece as spm
import torch
from torch.nn.parallel import DistributedDataParallel

from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from model.hf import from_hf
from model.scoring import byte_lengths
from pipeline.documents import document_texts, text_set_name
from pipeline.errors import UserError
from pipeline.typed_config import ConfigError
from trainer import distributed
from trainer.checkpoint import Checkpoints, full_state, git_commit, load_full_state, restore_rng, rng_states
from trainer.config import TrainConfig
from trainer.data import ShardMismatchError, ShardWindows, read_meta, tokenizer_of_shards
from trainer.evaluation import flops_per_token, heldout_bits_per_byte, peak_flops, samples, validation
from trainer.logger import RunLog
from trainer.schedule import learning_rate
from trainer.sft.batches import ConversationBatches, chat_samples
from trainer.sft.lora import adapter_state, add_lora, load_adapter_state, merged_state_dict


class TrainingStopped(UserError):
    """The run cannot go on (NaN losses, out of memory); the message says why and what to change."""


def _optimizer(module, config: TrainConfig, fused: bool) -> torch.optim.AdamW:
    trained = [p for p in module.parameters() if p.requires_grad]  # with LoRA, the adapters only
    matrices = [p for p in trained if p.dim() >= 2]  # weight decay on matrices only
    vectors = [p for p in trained if p.dim() < 2]  # norms
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=fused)


def _initial_module(config: TrainConfig, sp: spm.SentencePieceProcessor) -> Gemma3ForCausalLM:
    """The preset with fresh weights, or the `init_from` checkpoint (SFT), which must hold the tokenizer's ids."""
    if not config.init_from:
        return Gemma3ForCausalLM(preset(config.model).with_vocab(sp.get_piece_size()), attention=config.attention)
    module = from_hf(config.init_from, config.attention)
    if sp.get_piece_size() > module.config.vocab_size:
        raise ShardMismatchError(f"the tokenizer has {sp.get_piece_size()} ids but {config.init_from} only "
                                 f"{module.config.vocab_size} embeddings: pass the tokenizer it was trained with")
    return module


class Trainer:
    def __init__(self, config: TrainConfig, resume: bool):
        self.config = c = config
        self.processes = p = distributed.start(c.device)
        torch.manual_seed(c.seed)  # the same initial weights on every process
        tokenizer = c.tokenizer or (str(Path(c.init_from) / "tokenizer.model") if c.init_from
                                    else tokenizer_of_shards(c.data_dir))
        if not Path(tokenizer).is_file():
            raise FileNotFoundError(f"no tokenizer at {tokenizer!r}: pass --tokenizer=FILE.model (or run make shards)")
        self.sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
        self.module = _initial_module(c, self.sp).to(p.device)
        self.model_config = self.module.config
        self.train_windows, self.val_windows = self._data(tokenizer)
        self.lengths = byte_lengths(self.sp, self.model_config.vocab_size)
        self.heldout = {text_set_name(path): document_texts(path) for path in c.eval_texts}
        if c.lora_rank and p.distributed and c.distributed == "fsdp":
            raise ConfigError("lora_rank > 0 runs with distributed=ddp (or one process), not fsdp")
        self.lora = add_lora(self.module, c.lora_rank, c.lora_alpha, c.lora_targets) if c.lora_rank else None
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

    def _data(self, tokenizer: str) -> tuple:
        """Train and val batches: conversations (SFT) or windows of the shards."""
        c = self.config
        if c.sft_data:
            micro_batches = c.grad_accum * self.processes.world_size
            return tuple(ConversationBatches(c.sft_data, split, self.sp, c.block_size, c.seed, micro_batches,
                                             shuffle=split == "train") for split in ("train", "val"))
        meta = read_meta(c.data_dir, tokenizer, self.model_config.vocab_size)
        return tuple(ShardWindows(c.data_dir, meta, split, c.block_size, c.seed) for split in ("train", "val"))

    # -- checkpoints (trainer/checkpoint.py) ---------------------------------------------------------------
    def save(self, val_loss: float | None) -> None:
        weights, optimizer = full_state(self.module, self.optimizer, self.fsdp)  # every process takes part
        if self.lora is not None:
            weights = merged_state_dict(self.lora)  # what python -m model reads; the adapters go in the state
        if self.processes.main:
            state = {"step": self.step, "tokens": self.tokens, "best_val": self.best_val, "optimizer": optimizer,
                     "scheduler": self.scheduler.state_dict(), "rng": rng_states(),
                     "config": dataclasses.asdict(self.config), "git_commit": git_commit(),
                     "world_size": self.processes.world_size,
                     "lora": adapter_state(self.lora) if self.lora is not None else None}
            folder = self.checkpoints.save(self.module, state, val_loss, weights)
            self.log.write({"event": "checkpoint", "step": self.step, "path": str(folder)})
        if self.processes.distributed:
            torch.distributed.barrier()

    def _resume(self) -> None:
        folder = self.checkpoints.latest_sound()
        if folder is None:
            self.log.progress(f"--resume: no usable checkpoint under {self.checkpoints.root}; starting at step 0")
            return
        state = Checkpoints.load_state(folder)
        if self.lora is not None:  # the base is init_from again; the checkpoint's weights are merged ones
            load_adapter_state(self.lora, state["lora"])
            self.optimizer.load_state_dict(state["optimizer"])
        else:
            load_full_state(self.module, self.optimizer, self.fsdp, Checkpoints.load_weights(folder),
                            state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.tokens, self.best_val = state["step"], state["tokens"], state["best_val"]
        restore_rng(state["rng"])
        rewritten = self.log.rewind(self.step)
        self.log.write({"event": "resume", "step": self.step, "from": str(folder), "steps_run_again": len(rewritten)})

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
            with warnings.catch_warnings():  # deliberate: the schedule follows the step even when AdamW did not run
                warnings.filterwarnings("ignore", r"Detected call of `lr_scheduler\.step\(\)` before", UserWarning)
                self.scheduler.step()
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
        figures |= heldout_bits_per_byte(self.model, self.sp, self.heldout, c.block_size, c.batch_size,
                                         self.processes.device, self.autocast)
        self.log.write({"event": "eval", "step": self.step, **figures})
        if c.sample_tokens and self.processes.main and not self.fsdp:
            generated = (chat_samples(self.module, self.sp, c.sample_prompts, c.sample_tokens) if c.sft_data else
                         samples(self.module, self.sp, c.sample_prompts, c.sample_tokens, self.processes.device))
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
