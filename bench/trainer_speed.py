"""Training tokens/s of our trainer against a plain loop over transformers' Gemma 3, same config, same batches.

Both train the `small` preset (width 256, 4 layers, window 64) with a 8,192-piece tokenizer trained here on
../shared/corpus, on windows of 8 × 256 tokens from shards of hi_wiki_or_news. Ours is `Trainer.train_step`
(fused loss, fused AdamW, clipping, schedule); the baseline is what one writes by hand: transformers'
model with `labels`, torch.optim.AdamW with the same settings, clip_grad_norm_, a step. Same initial weights.
Steps alternate between the two in REPEATS rounds of STEPS; the best round of each is kept.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from transformers import Gemma3ForCausalLM as HFGemma3

from bench.results_table import BenchResult
from bench.timing import best_alternating
from model.hf import to_hf
from pipeline.tokenize.shards import write_shards
from pipeline.typed_config import load_config
from tokenizer.config import ShardConfig, TokenizerConfig
from tokenizer.train import train_tokenizer
from trainer.config import TrainConfig
from trainer.loop import Trainer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
REPEATS, STEPS = 3, 5


def _shards(folder: Path) -> Path:
    config = load_config(TokenizerConfig, REPO / "configs" / "tokenizer.yaml", ["train.vocab_size=8192"])
    config.out = str(folder / "tok")
    config.sample.inputs = [str(CORPUS / "hi_wiki_or_news"), str(CORPUS / "hinglish")]
    model = train_tokenizer(config)
    write_shards(ShardConfig(inputs=[str(CORPUS / "hi_wiki_or_news")], out=str(folder / "shards"),
                             val_fraction=0.01), model)
    return folder / "shards"


def _plain_loop(reference, trainer: Trainer):
    optimizer = torch.optim.AdamW(reference.parameters(), lr=trainer.config.lr, betas=(0.9, 0.95), weight_decay=0.1)
    step = iter(range(10**9))

    def steps():
        for _ in range(STEPS):
            inputs, targets = trainer.train_windows.batch(trainer.config.batch_size, next(step), 0)
            loss = reference(inputs, labels=targets, shift_labels=targets).loss  # targets are already shifted
            loss.backward()
            torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    return steps


def run() -> list[BenchResult]:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is absent: the trainer benchmark reads the shared corpus")
    with tempfile.TemporaryDirectory() as folder:
        shards = _shards(Path(folder))
        config = load_config(TrainConfig, None, [f"data_dir={shards}", f"out_dir={folder}/run", "model=small",
                                                 "block_size=256", "batch_size=8", "max_steps=100000",
                                                 "tensorboard=false", "sample_tokens=0", "device=cpu"])
        trainer = Trainer(config, resume=False)
        to_hf(trainer.module, Path(folder) / "hf")
        reference = HFGemma3.from_pretrained(Path(folder) / "hf", attn_implementation="sdpa").train()

        def ours():
            for _ in range(STEPS):
                trainer.train_step()
                trainer.step += 1

        t_ours, t_theirs = best_alternating(ours, _plain_loop(reference, trainer), REPEATS)
        trainer.log.close()
    tokens = STEPS * trainer.tokens_per_step
    result = BenchResult("trainer_tokens_cpu", tokens / t_ours, "tokens/s", tokens / t_theirs,
                         "plain loop: transformers Gemma3ForCausalLM(labels) + AdamW + clipping, fp32",
                         target_ratio=1.25, details={"preset": "small", "batch": 8, "block": 256,
                                                     "threads": torch.get_num_threads()})
    print(f"trainer_tokens_cpu: ours {result.value:.0f} tokens/s, plain transformers loop {result.baseline:.0f}, "
          f"ratio {result.ratio:.2f}")
    return [result]
