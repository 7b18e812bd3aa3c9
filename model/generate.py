"""KV-cached generation: greedy, temperature, top-k, top-p, repetition penalty, EOS, left-padded batches.

Logits are processed in Hugging Face's order (repetition penalty, then temperature, top-k, top-p), so the
same settings mean the same thing in both. `temperature=0` is greedy.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import torch

from model import kernel_check
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.kv_cache import KVCache


def penalize_repetition(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """Tokens already in the sequence: positive logits divided by `penalty`, negative ones multiplied."""
    if penalty == 1.0:
        return logits
    penalized = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, penalized, logits)


def candidates(logits: torch.Tensor, top_k: int | None,
               top_p: float | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """What a token may be drawn from: (logits in descending order, their token ids), -inf where a row keeps
    fewer; or (logits, None) when neither limit applies. top-k keeps the logits at least as large as the k-th
    largest (ties included); top-p then keeps the most likely tokens whose probabilities add up to at least p
    (always one). Drawing from these few rather than from the whole vocabulary is what makes a step cheap."""
    vocab, nucleus = logits.shape[-1], top_p is not None and top_p < 1.0
    if top_k and top_k < vocab:
        values, order = torch.topk(logits, top_k, dim=-1)
        kth = values[..., -1:]
        ties = int((logits >= kth).sum(-1).max())
        if ties > top_k:  # the k-th value is shared: every token holding it stays
            values, order = torch.topk(logits, ties, dim=-1)
            values = values.masked_fill(values < kth, float("-inf"))
    elif nucleus:
        values, order = torch.sort(logits, dim=-1, descending=True)
    else:
        return logits, None
    if nucleus:
        probabilities = values.softmax(-1)
        values = values.masked_fill(probabilities.cumsum(-1) - probabilities >= top_p, float("-inf"))
    return values, order


def choose_next(logits, seen, temperature, top_k, top_p, repetition_penalty, generator) -> torch.Tensor:
    logits = penalize_repetition(logits.float(), seen, repetition_penalty)
    if temperature == 0.0:
        return logits.argmax(-1)
    values, order = candidates(logits / temperature, top_k, top_p)
    drawn = torch.multinomial(values.softmax(-1), 1, generator=generator)
    return (drawn if order is None else order.gather(-1, drawn)).squeeze(-1)


@functools.cache
def _compiled_hidden_states() -> Callable:
    """The one-token decoding step, compiled on first use (torch.compile's import alone takes seconds).
    Dynamic shapes: the cache length grows every step, and one recompile (when the sliding ring first wraps) is
    all that costs. Models are arguments, not captured, so none is kept alive by the compiled code."""
    return torch.compile(Gemma3ForCausalLM.hidden_states, dynamic=True)


_compiled_agrees: dict[tuple, bool] = {}  # (device type, dtype, config) -> its verdict


def _decoding_step(module: Gemma3ForCausalLM, ids: torch.Tensor, positions: torch.Tensor,
                   cache: KVCache) -> torch.Tensor:
    """One-token hidden states through torch.compile where its first step agreed with eager for this kind of
    model, device and dtype; else eagerly. Inductor's generated CPU code gave NaN here on AVX2 kernels (torch
    2.13, ATEN_CPU_CAPABILITY=avx2 on an AVX-512 Xeon), so compiled decoding is checked before it is trusted, as
    flex attention is (model/attention.py), and falls back with a warning where it disagrees."""
    key = (ids.device.type, module.lm_head_weight.dtype, module.config)
    if _compiled_agrees.get(key) is False:
        return Gemma3ForCausalLM.hidden_states(module, ids, positions, cache)
    compiled = _compiled_hidden_states()(module, ids, positions, cache)
    if _compiled_agrees.get(key):
        return compiled
    eager = Gemma3ForCausalLM.hidden_states(module, ids, positions, cache)  # rewrites the step's cache slots
    difference = float((compiled - eager).abs().max() / eager.abs().max().clamp(min=1e-30))
    _compiled_agrees[key] = kernel_check.agrees(difference, eager.dtype)
    if not _compiled_agrees[key]:
        warnings.warn(f"compiled decoding differs from eager on this machine ({kernel_check.where(ids.device)}, "
                      f"{eager.dtype}: {difference:.3g} relative): decoding eagerly", stacklevel=2)
    return eager


def _step(module: Gemma3ForCausalLM, ids: torch.Tensor, cache: KVCache, compiled: bool = False) -> torch.Tensor:
    """Run t new columns through the model; logits of the last one (B, V). `compiled`: one-token steps run
    through torch.compile once it has been seen to agree with eager (a prompt's prefill stays eager)."""
    t = ids.shape[1]
    positions = cache.positions(t)
    cache.prepare(t)
    if compiled and t == 1:
        hidden = _decoding_step(module, ids, positions, cache)[:, -1]
    else:
        hidden = Gemma3ForCausalLM.hidden_states(module, ids, positions, cache)[:, -1]
    cache.advance(t)
    return hidden @ module.lm_head_weight.T


@torch.no_grad()
def generate(
    module: Gemma3ForCausalLM,
    input_ids: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_k: int | None = None,
    top_p: float | None = None,
    repetition_penalty: float = 1.0,
    attention_mask: torch.Tensor | None = None,
    eos_token_id: int | list[int] | None = None,
    pad_token_id: int | None = None,
    seed: int | None = None,
    on_token: Callable[[torch.Tensor], None] | None = None,
    vocab_limit: int | None = None,
    compile: bool = False,
) -> torch.Tensor:
    """Prompt + generated ids (B, P + n), n ≤ max_new_tokens; finished rows are filled with pad.

    `attention_mask` (B, P) marks real prompt tokens (1) in left-padded batches. `on_token(ids (B,))` is
    called with every new column, for streaming. `eos_token_id`: one id or several (chat stops at <end_of_turn>
    and <eos>). `vocab_limit`: the tokenizer's size; the rows of the embedding
    beyond it (padding to a multiple of 128) are never sampled. `compile`: decode through torch.compile, which
    costs seconds to a minute once per model and process, then decodes about 1.6× faster on a CPU.
    """
    config = module.config
    eos = torch.tensor(config.eos_token_id if eos_token_id is None else eos_token_id, device=input_ids.device)
    pad_id = config.pad_token_id if pad_token_id is None else pad_token_id
    device, (batch, prompt_len) = input_ids.device, input_ids.shape
    mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask.to(device).long()
    if bool((mask[:, 1:] < mask[:, :-1]).any()):
        raise ValueError("attention_mask must be left-padded: zeros, then ones, in every row")
    if temperature < 0 or repetition_penalty <= 0:
        raise ModelInputError("temperature must be ≥ 0 and repetition_penalty > 0")
    generator = torch.Generator(device).manual_seed(seed) if seed is not None else None
    dtype = module.lm_head_weight.dtype
    cache = KVCache(config, pad=prompt_len - mask.sum(1), max_columns=prompt_len + max_new_tokens, dtype=dtype)
    seen = torch.zeros(batch, config.vocab_size, dtype=torch.long, device=device)
    seen = seen.scatter_add(1, input_ids, mask) > 0
    finished = torch.zeros(batch, dtype=torch.bool, device=device)

    was_training = module.training
    module.eval()
    logits = _step(module, input_ids, cache)
    columns = [input_ids]
    for _ in range(max_new_tokens):
        if vocab_limit is not None:
            logits[:, vocab_limit:] = float("-inf")
        token = choose_next(logits, seen, temperature, top_k, top_p, repetition_penalty, generator)
        token = torch.where(finished, torch.full_like(token, pad_id), token)
        columns.append(token[:, None])
        if on_token is not None:
            on_token(token)
        if repetition_penalty != 1.0:
            seen[torch.arange(batch, device=device), token] = True
        finished |= torch.isin(token, eos)
        if bool(finished.all()) or len(columns) > max_new_tokens:
            break
        logits = _step(module, token[:, None], cache, compiled=compile)
    module.train(was_training)
    return torch.cat(columns, dim=1)
