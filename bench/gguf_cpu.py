"""Batch-1 CPU decoding of the gemma3-270m preset: llama.cpp on our GGUF export (f16, q8_0) against our PyTorch
`generate` (fp32, eager and compiled), in one run.

Random weights (speed does not depend on them), vocab 50,048 as in the preset, a 32-token prompt and 64 new
tokens, greedy with no stop at EOS, so every side decodes exactly the same number of tokens (tokens/s are new
tokens over the whole call, the prompt's prefill included, on every side). Every side decodes once untimed
(compilation, llama.cpp's first graphs), then the sides are timed in turn, REPEATS rounds, best kept;
llama.cpp runs on as many threads as torch does. The baseline is our compiled `generate`, the faster PyTorch
side.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import sentencepiece as spm
import torch

from bench.results_table import BenchResult
from bench.timing import timed
from model.config import preset
from model.gemma3 import Gemma3ForCausalLM
from model.generate import generate
from model.gguf.export import export_gguf
from model.gguf.runtime import LlamaCppModel
from model.hf import from_hf, to_hf

CONFIG = preset("gemma3-270m")
PROMPT, NEW, REPEATS = 32, 64, 3
TEXT = "भारत एक विशाल देश है। गंगा नदी बहती है। kal movie dekhne chalein yaar, accha hai.\n" * 20


def _checkpoint(folder: Path) -> Path:
    """Random gemma3-270m weights with a small tokenizer trained the way ours is (its pieces are padded)."""
    (folder / "text.txt").write_text(TEXT, encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(folder / "text.txt"), model_prefix=str(folder / "tokenizer"),
                                   vocab_size=300, hard_vocab_limit=False, model_type="bpe", byte_fallback=True,
                                   normalization_rule_name="identity", add_dummy_prefix=False,
                                   remove_extra_whitespaces=False, pad_id=0, eos_id=1, bos_id=2, unk_id=3,
                                   minloglevel=2)
    torch.manual_seed(0)
    to_hf(Gemma3ForCausalLM(CONFIG).eval(), folder)
    return folder


def _best_in_turn(sides: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best of REPEATS times per side, the sides timed in turn (a slow spell of the shared machine hits all)."""
    for decode in sides.values():
        decode()  # compilation, llama.cpp's first graphs
    times = {name: [] for name in sides}
    for _ in range(REPEATS):
        for name, decode in sides.items():
            times[name].append(timed(decode))
    return {name: min(seconds) for name, seconds in times.items()}


def run() -> list[BenchResult]:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = _checkpoint(Path(tmp))
        module = from_hf(folder).eval()
        prompt = torch.randint(3, 300, (PROMPT,), generator=torch.Generator().manual_seed(0)).tolist()
        files = {kind: export_gguf(folder, folder / f"model_{kind}.gguf", kind) for kind in ("f16", "q8_0")}
        sizes = {kind: path.stat().st_size for kind, path in files.items()}
        ids, threads = torch.tensor([prompt]), torch.get_num_threads()
        sides = {kind: functools.partial(stack.enter_context(LlamaCppModel(path, PROMPT + NEW, threads)).greedy,
                                         prompt, NEW) for kind, path in files.items()}
        sides |= {f"torch_{mode}": functools.partial(generate, module, ids, NEW, eos_token_id=-1,
                                                     compile=mode == "compiled") for mode in ("eager", "compiled")}
        seconds = _best_in_turn(sides)
    tokens_per_s = {name: NEW / s for name, s in seconds.items()}
    details = {"prompt": PROMPT, "new_tokens": NEW, "batch": 1, "threads": torch.get_num_threads(),
               "repeats": REPEATS, "vocab": CONFIG.vocab_size,
               "torch_eager_tokens_per_s": round(tokens_per_s["torch_eager"], 2),
               "torch_compiled_tokens_per_s": round(tokens_per_s["torch_compiled"], 2)}
    results = [BenchResult(f"gguf_decode_cpu_{kind}", tokens_per_s[kind], "tokens/s", tokens_per_s["torch_compiled"],
                           "our generate(compile=True), fp32, same prompt and length",
                           details=details | {"file_mib": round(sizes[kind] / 2**20, 1)})
               for kind in files]
    for kind, r in zip(files, results, strict=True):
        print(f"{r.name}: llama.cpp {r.value:.1f} tokens/s ({sizes[kind] / 2**20:.0f} MiB); ours compiled "
              f"{tokens_per_s['torch_compiled']:.1f}, eager {tokens_per_s['torch_eager']:.1f}")
    return results
