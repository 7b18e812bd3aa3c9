"""CPU speed of our Gemma 3 against transformers' with the same weights, in the same run.

Config (from the model issue, the `small` preset): vocab 8192, width 256, 4 layers of which the last is full,
4 heads, 1 KV head of 64, MLP 1024, window 64. transformers runs eager (its default).
- train step: tokens/s of forward + backward + AdamW step, fp32, batch 8 × 256, against transformers' model
  with `labels` (its own loss), same optimiser settings (fused AdamW on both). Ours uses `module(ids, targets)`,
  the fused chunked cross-entropy of model/loss.py, eager and compiled (`module.compile()`, as the trainer's
  `compile: true` does). Target ≥ 1.25×.
- decode: tokens/s of greedy generation with the KV cache, batch 1, 32-token prompt, 128 new tokens,
  against `generate` (both produce the same tokens; checked), eager and compiled (`generate(..., compile=True)`).
  Target: compiled ≥ 2×.
Each side is timed REPEATS times in turn with the other, so that a slow spell of a shared machine hits both;
the best time of each is kept; compilation happens in the warm-up. Once compiled code has run, eager code that
follows runs slower here (the allocator's state: with glibc's trimming and mmap thresholds pinned the effect
goes away), so the compiled phases run after the eager ones, and transformers' figure is its best over both
phases: the compiled comparisons are never made against a slowed baseline.
"""

from __future__ import annotations

import copy
import tempfile

import torch
from transformers import Gemma3ForCausalLM as HFGemma3

from bench.results_table import BenchResult
from bench.timing import best_alternating
from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from model.generate import generate
from model.hf import to_hf

CONFIG = preset("small")
REPEATS = 5
PROMPT, NEW = 32, 128
BATCH, BLOCK, STEPS = 8, 256, 5


def _train_result(seconds: float, their_phases: tuple[float, float], compiled: bool) -> BenchResult:
    tokens = BATCH * BLOCK * STEPS
    return BenchResult("model_train_step_cpu" + ("_compiled" if compiled else ""), tokens / seconds, "tokens/s",
                       tokens / min(their_phases),
                       "transformers Gemma3ForCausalLM forward(labels) + backward + AdamW, fp32, eager",
                       target_ratio=1.25, details={"batch": BATCH, "block": BLOCK, "steps_timed": STEPS,
                                                   "compiled": compiled, "threads": torch.get_num_threads(),
                                                   "baseline_seconds_per_phase": their_phases})


def _train_step_fn(module, loss_fn):
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    ids = torch.randint(0, CONFIG.vocab_size, (BATCH, BLOCK + 1), generator=torch.Generator().manual_seed(1))
    inputs, targets = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

    def steps():
        for _ in range(STEPS):
            loss = loss_fn(module, inputs, targets)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    return steps


def _ours_loss(module, inputs, targets):
    return module(inputs, targets)


def _theirs_loss(module, inputs, targets):
    return module(inputs, labels=targets, shift_labels=targets).loss  # targets are already shifted


def _decode_fns(ours, theirs, compile: bool):
    ids = torch.randint(3, CONFIG.vocab_size, (1, PROMPT), generator=torch.Generator().manual_seed(0))
    mine = lambda: generate(ours, ids, NEW, eos_token_id=-1, compile=compile)  # noqa: E731
    reference = lambda: theirs.generate(ids, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False,  # noqa: E731
                                        pad_token_id=0)
    assert torch.equal(mine(), reference()), "greedy tokens differ: the comparison would be meaningless"
    return mine, reference


def _decode_result(seconds: float, their_phases: tuple[float, float], compiled: bool) -> BenchResult:
    return BenchResult("model_decode_cpu" + ("" if compiled else "_eager"), NEW / seconds, "tokens/s",
                       NEW / min(their_phases), "transformers Gemma3ForCausalLM.generate (dynamic cache), greedy",
                       target_ratio=2.0 if compiled else None,
                       details={"prompt": PROMPT, "new_tokens": NEW, "batch": 1, "compiled": compiled,
                                "threads": torch.get_num_threads(), "baseline_seconds_per_phase": their_phases})


def run() -> list[BenchResult]:
    torch.manual_seed(0)
    ours = Gemma3ForCausalLM(CONFIG).eval()
    with tempfile.TemporaryDirectory() as folder:
        to_hf(ours, folder)
        theirs = HFGemma3.from_pretrained(folder, attn_implementation="sdpa").eval()
    # training runs on copies: decoding keeps the originals
    eager, compiled = copy.deepcopy(ours).train(), copy.deepcopy(ours).train()
    compiled.compile()
    their_steps = _train_step_fn(copy.deepcopy(theirs).train(), _theirs_loss)

    train_eager, their_train_1 = best_alternating(_train_step_fn(eager, _ours_loss), their_steps, REPEATS)
    decode_eager, their_decode_1 = best_alternating(*_decode_fns(ours, theirs, compile=False), REPEATS)
    train_compiled, their_train_2 = best_alternating(_train_step_fn(compiled, _ours_loss), their_steps, REPEATS)
    decode_compiled, their_decode_2 = best_alternating(*_decode_fns(ours, theirs, compile=True), REPEATS)

    their_train, their_decode = (their_train_1, their_train_2), (their_decode_1, their_decode_2)
    results = [_train_result(train_eager, their_train, compiled=False),
               _train_result(train_compiled, their_train, compiled=True),
               _decode_result(decode_eager, their_decode, compiled=False),
               _decode_result(decode_compiled, their_decode, compiled=True)]
    for r in results:
        print(f"{r.name}: ours {r.value:.1f} {r.unit}, transformers {r.baseline:.1f} {r.unit}, ratio {r.ratio:.2f}")
    return results
