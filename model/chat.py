"""One reply of the model in a conversation: the entry point of the chat CLI and the web app.

The conversation is rendered in Gemma 3's turns with a generation prompt (model/chat_format.py); the oldest
turns are dropped until it fits the context (the system message stays); the reply is generated with the KV
cache (model/generate.py) until <end_of_turn> or <eos>, and streamed as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sentencepiece as spm
import torch

from model.chat_format import END, render_chat
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.generate import generate


@dataclass
class Reply:
    text: str
    token_ids: list[int]  # the generated ids, without the stop token
    ended: bool  # stopped at <end_of_turn> (not <eos>, not the token limit)
    prompt_tokens: int
    dropped_messages: int  # oldest messages left out to fit the context


def fit_to_context(sp: spm.SentencePieceProcessor, messages: list[dict], budget: int) -> tuple[list[int], int]:
    """Prompt ids of the latest turns that fit `budget` tokens, and how many messages were dropped. The system
    message stays; turns go oldest first, a user message with the reply after it, so roles still alternate."""
    system, turns = (messages[:1], messages[1:]) if messages and messages[0].get("role") == "system" else ([], messages)
    dropped = 0
    while True:
        ids, _ = render_chat(sp, system + turns, add_generation_prompt=True)
        if len(ids) <= budget:
            return ids, dropped
        if len(turns) <= 1:
            raise ModelInputError(f"the last message alone takes {len(ids)} tokens with the template, more than the "
                             f"{budget} the context leaves for it: shorten it, or lower max_new_tokens")
        turns, dropped = turns[2:], dropped + 2


def generate_reply(module: Gemma3ForCausalLM, sp: spm.SentencePieceProcessor, messages: list[dict],
                   max_new_tokens: int = 256, temperature: float = 0.7, top_k: int | None = 50,
                   top_p: float | None = 0.95, repetition_penalty: float = 1.2, seed: int | None = None,
                   on_text: Callable[[str], None] | None = None, context_tokens: int | None = None) -> Reply:
    """The model's next turn after `messages` (the last one from the user), with its ids and whether it ended
    with <end_of_turn>. `on_text(delta)` receives the reply's text as it grows. `context_tokens`: prompt +
    reply limit (default: the model's max_position_embeddings)."""
    context = context_tokens or module.config.max_position_embeddings
    if max_new_tokens >= context:
        raise ModelInputError(f"max_new_tokens {max_new_tokens} leaves no room in a context of {context} tokens")
    prompt, dropped = fit_to_context(sp, messages, context - max_new_tokens)
    end = sp.piece_to_id(END)
    stops = {end, sp.eos_id()}
    new: list[int] = []
    shown = ""

    def stream(token: torch.Tensor) -> None:
        nonlocal shown
        new.append(int(token[0]))
        if new[-1] in stops:  # the last token: generation stops after it
            return
        # the whole reply decoded again: byte pieces join into a character only once all its bytes are there
        text = sp.decode(new).rstrip("\ufffd")
        if on_text is not None and len(text) > len(shown):
            on_text(text[len(shown):])
        shown = text

    device = next(module.parameters()).device
    generate(module, torch.tensor([prompt], device=device), max_new_tokens, temperature=temperature, top_k=top_k,
             top_p=top_p, repetition_penalty=repetition_penalty, eos_token_id=sorted(stops), seed=seed,
             on_token=stream, vocab_limit=sp.get_piece_size())
    ended = bool(new) and new[-1] == end
    reply_ids = new[:-1] if new and new[-1] in stops else new
    text = sp.decode(reply_ids)
    if on_text is not None and len(text) > len(shown):
        on_text(text[len(shown):])  # bytes left unfinished at the limit
    return Reply(text, reply_ids, ended, len(prompt), dropped)


def chat(module: Gemma3ForCausalLM, sp: spm.SentencePieceProcessor, messages: list[dict],
         max_new_tokens: int = 256, temperature: float = 0.7, top_k: int | None = 50, top_p: float | None = 0.95,
         repetition_penalty: float = 1.2, seed: int | None = None,
         on_text: Callable[[str], None] | None = None) -> str:
    """The model's reply to `messages` ([{"role": "system"|"user"|"assistant", "content": str}, ...], the last
    from the user), as text; `on_text(delta)` streams it. Sampling as in model.generate.generate (temperature 0
    is greedy; `seed` makes it repeatable). Raises ValueError, naming the message, for a malformed conversation."""
    return generate_reply(module, sp, messages, max_new_tokens, temperature, top_k, top_p, repetition_penalty, seed,
                          on_text).text
