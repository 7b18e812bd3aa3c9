"""The training config. Defaults live here; configs/train_tiny.yaml and configs/train_270m.yaml set runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class TrainConfig:
    # what
    model: str = "tiny"  # a preset of model/config.py; its vocabulary is padded from the shards' tokenizer
    data_dir: str = "work/shards"  # meta.json + train_*.bin + val_*.bin (python -m tokenizer shard)
    tokenizer: str = ""  # SentencePiece model; empty: the one meta.json names
    out_dir: str = "runs/tiny"
    seed: int = 1337
    # SFT (configs/sft_tiny.yaml): conversations instead of shards, from a pretrained checkpoint
    sft_data: str = ""  # folder of train.jsonl + val.jsonl (python -m trainer sft-data); empty: pretraining
    init_from: str = ""  # checkpoint whose weights, model config (not `model`) and tokenizer the run starts from
    lora_rank: int = 0  # > 0: LoRA adapters of this rank (peft) on lora_targets, the rest frozen; merged on save
    lora_alpha: float = 16.0
    lora_targets: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    # batch: tokens per optimiser step = batch_size × grad_accum × world size × block_size
    block_size: int = 256
    batch_size: int = 8  # sequences per micro-batch per process
    grad_accum: int = 1
    max_steps: int = 1000
    # optimiser and schedule
    lr: float = 3e-3
    min_lr: float = 3e-4  # cosine decays to this floor
    warmup_steps: int = 50
    weight_decay: float = 0.1  # matrices only; norms and embeddings' scales are not decayed
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # 0 disables
    # evaluation, samples, checkpoints, logs
    eval_every: int = 100
    eval_batches: int = 8
    # fixed held-out texts (files or folders of .txt lines or JSONL) scored whole each evaluation: heldout_bpb/<name>
    eval_texts: list[str] = field(default_factory=list)
    sample_tokens: int = 32  # generated after each evaluation from each prompt; 0 disables
    sample_prompts: list[str] = field(default_factory=lambda: ["भारत की राजधानी", "kal movie dekhne"])
    checkpoint_every: int = 100
    keep_last: int = 3  # plus the best by validation loss
    fsync_every: int = 20  # log lines between fsyncs (every line is flushed)
    tensorboard: bool = True
    # numerics and speed
    device: str = "auto"  # auto: cuda when available
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"  # auto: bf16 autocast on CUDA, fp32 on CPU
    compile: bool = False
    activation_checkpointing: bool = False
    attention: Literal["auto", "sdpa", "flex", "reference"] = "auto"
    distributed: Literal["ddp", "fsdp"] = "ddp"  # under torchrun
    max_bad_steps: int = 5  # NaN/inf losses in a row before the run stops
    peak_tflops: float = 0.0  # for MFU; 0: looked up from the GPU's name (none on CPU)

    def __post_init__(self) -> None:
        if self.warmup_steps >= self.max_steps > 0 and self.max_steps > 1:
            raise ValueError(f"warmup_steps {self.warmup_steps} must be below max_steps {self.max_steps}")
        if self.keep_last < 1:  # 0 would delete each checkpoint as soon as it is written: nothing to resume
            raise ValueError(f"keep_last is {self.keep_last}: it must be at least 1 (the newest checkpoint is "
                             f"what --resume continues from; the best by validation loss is kept besides)")
        if min(self.block_size, self.batch_size, self.grad_accum) < 1:
            raise ValueError("block_size, batch_size and grad_accum must be at least 1")
