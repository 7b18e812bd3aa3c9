"""CPU speed of our Gemma 3 against transformers' with the same weights, in the same run.

Config (from the model issue, the `small` preset): vocab 8192, width 256, 4 layers of which the last is full,
4 heads, 1 KV head of 64, MLP 1024, window 64. transformers runs eager (its default).
- train step: tokens/s of forward + backward + AdamW step, fp32, batch 8 × 256, eager, against transformers'
  model with `labels` (its own loss), same optimiser settings (fused AdamW on both). Ours uses `module(ids, targets)`,
  the fused chunked cross-entropy of model/loss.py. Target ≥ 1.25×. (`module.compile()` gave no gain here on
  2 cores: not reported.)
- decode: tokens/s of greedy generation with the KV cache, batch 1, 32-token prompt, 128 new tokens,
  against `generate` (both produce the same tokens; checked). Target: compiled
  (`generate(..., compile=True)`) ≥ 2×; the compile happens in the warm-up run.
Each side is timed REPEATS times in turn with the other, so that a slow spell of a shared machine hits both;
the best time of each is kept. Compiled decoding runs last: once compiled kernels have run,
their OpenMP threads slow the eager ops that follow.
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


def _train(ours, theirs) -> BenchResult:
    mine, reference = copy.deepcopy(ours).train(), copy.deepcopy(theirs).train()  # decoding keeps the originals
    ours_steps, their_steps = _train_step_fn(mine, _ours_loss), _train_step_fn(reference, _theirs_loss)
    t_ours, t_theirs = best_alternating(ours_steps, their_steps, REPEATS)
    tokens = BATCH * BLOCK * STEPS
    return BenchResult("model_train_step_cpu", tokens / t_ours, "tokens/s", tokens / t_theirs,
                       "transformers Gemma3ForCausalLM forward(labels) + backward + AdamW, fp32", target_ratio=1.25,
                       details={"batch": BATCH, "block": BLOCK, "steps_timed": STEPS})


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


def _decode(ours, theirs, compile: bool) -> BenchResult:
    ids = torch.randint(3, CONFIG.vocab_size, (1, PROMPT), generator=torch.Generator().manual_seed(0))
    mine = lambda: generate(ours, ids, NEW, eos_token_id=-1, compile=compile)  # noqa: E731
    reference = lambda: theirs.generate(ids, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False,  # noqa: E731
                                        pad_token_id=0)
    assert torch.equal(mine(), reference()), "greedy tokens differ: the comparison would be meaningless"
    t_ours, t_theirs = best_alternating(mine, reference, REPEATS)
    return BenchResult("model_decode_cpu" + ("" if compile else "_eager"), NEW / t_ours, "tokens/s", NEW / t_theirs,
                       "transformers Gemma3ForCausalLM.generate (dynamic cache), greedy",
                       target_ratio=2.0 if compile else None,
                       details={"prompt": PROMPT, "new_tokens": NEW, "batch": 1, "compiled": compile,
                                "threads": torch.get_num_threads()})


def run() -> list[BenchResult]:
    torch.manual_seed(0)
    ours = Gemma3ForCausalLM(CONFIG).eval()
    with tempfile.TemporaryDirectory() as folder:
        to_hf(ours, folder)
        theirs = HFGemma3.from_pretrained(folder, attn_implementation="sdpa").eval()
    results = [_train(ours, theirs), _decode(ours, theirs, compile=False), _decode(ours, theirs, compile=True)]
    for r in results:
        print(f"{r.name}: ours {r.value:.1f} {r.unit}, transformers {r.baseline:.1f} {r.unit}, ratio {r.ratio:.2f}")
    return results
