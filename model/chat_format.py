"""Gemma 3's chat turns, rendered to ids with the mask of the tokens that train, and the same format as a Jinja
`chat_template` for Hugging Face tokenizers.

    <bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n{reply}<end_of_turn>\n...

A system message is folded into the first user turn, as Gemma 3 does (it has no system role); `assistant` is
written `model`; contents are stripped of surrounding whitespace. One renderer serves SFT (ids + mask),
generation (`add_generation_prompt`) and the exported tokenizer: `render_chat` gives the ids that
`transformers`' `apply_chat_template` gives with `CHAT_TEMPLATE` (tested).
"""

from __future__ import annotations

import sentencepiece as spm

from model.errors import ModelInputError

START, END, NEWLINE = "<start_of_turn>", "<end_of_turn>", "\n"
ROLES = {"system": "system", "user": "user", "assistant": "model", "model": "model"}

# The same rules as `render_chat`, for tokenizer_config.json. Written for this project (not Google's file).
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- set roles = {'system': 'system', 'user': 'user', 'assistant': 'model', 'model': 'model'} -%}"
    "{%- if messages and messages[0]['role'] == 'system' -%}"
    "{%- set system_prefix = messages[0]['content'] | trim ~ '\n\n' -%}{%- set offset = 1 -%}"
    "{%- else -%}{%- set system_prefix = '' -%}{%- set offset = 0 -%}{%- endif -%}"
    "{%- if offset and messages | length == 1 -%}"
    "{{ raise_exception('message 0: a system message needs a user message after it') }}{%- endif -%}"
    "{%- for message in messages[offset:] -%}"
    "{%- set role = roles.get(message['role'], message['role']) -%}"
    "{%- if role != ('user' if loop.index0 % 2 == 0 else 'model') -%}"
    "{{ raise_exception('message ' ~ (loop.index0 + offset) ~ ': roles must alternate user, assistant, user, ... "
    "after an optional system message') }}{%- endif -%}"
    "{{ '<start_of_turn>' ~ role ~ '\n' ~ (system_prefix if loop.first else '') ~ message['content'] | trim"
    " ~ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{%- if messages[-1]['role'] != 'user' -%}"
    "{{ raise_exception('a generation prompt follows a user message') }}{%- endif -%}"
    "{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def turn_piece_ids(sp: spm.SentencePieceProcessor) -> tuple[int, int, int]:
    """Ids of <start_of_turn>, <end_of_turn> and "\\n", which the tokenizer must hold as whole pieces."""
    ids = tuple(sp.piece_to_id(piece) for piece in (START, END, NEWLINE))
    if sp.unk_id() in ids:
        raise ModelInputError(f"the tokenizer has no whole piece for {START!r}, {END!r} or '\\n': train it with "
                         f"tokenizer/config.py's user_defined_symbols (python -m tokenizer train)")
    return ids  # type: ignore[return-value]


def validate_messages(messages: list[dict], add_generation_prompt: bool = False) -> list[tuple[str, str]]:
    """(role, stripped content) per message, with `model` for assistant; a ValueError names the bad message."""
    if not isinstance(messages, list) or not messages:
        raise ModelInputError("messages must be a non-empty list of {'role': ..., 'content': ...}")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise ModelInputError(f"message {index}: must be an object with a 'role' and a string 'content'")
        role = ROLES.get(message.get("role"))
        if role is None:
            raise ModelInputError(
                f"message {index}: role {message.get('role')!r} is not one of system, user, assistant")
        if START in message["content"] or END in message["content"]:
            raise ModelInputError(f"message {index}: content holds {START} or {END}, which only the template may write")
        turns.append((role, message["content"].strip()))
    offset = 1 if turns[0][0] == "system" else 0
    if offset and len(turns) == 1:
        raise ModelInputError("message 0: a system message needs a user message after it")
    for index, (role, _) in enumerate(turns[offset:], start=offset):
        if role != ("user" if (index - offset) % 2 == 0 else "model"):
            raise ModelInputError(f"message {index}: roles must alternate user, assistant, user, ... after an optional "
                             f"system message; got {role!r}")
    if add_generation_prompt and turns[-1][0] != "user":
        raise ModelInputError(
            f"message {len(turns) - 1}: a generation prompt follows a user message, not {turns[-1][0]!r}")
    return turns


def render_chat(sp: spm.SentencePieceProcessor, messages: list[dict],
                add_generation_prompt: bool = False) -> tuple[list[int], list[bool]]:
    """Ids of the conversation and, per id, whether it trains: the model's replies and their <end_of_turn>.

    `add_generation_prompt` ends the ids with `<start_of_turn>model\\n`, where a reply is to be generated.
    """
    start, end, newline = turn_piece_ids(sp)
    turns = validate_messages(messages, add_generation_prompt)
    system_prefix = ""
    if turns[0][0] == "system":
        system_prefix, turns = turns[0][1] + "\n\n", turns[1:]
    ids, mask = [sp.bos_id()], [False]
    for index, (role, content) in enumerate(turns):
        header = [start, *sp.encode(role), newline]
        body = [*sp.encode((system_prefix if index == 0 else "") + content), end]
        trains = role == "model"
        ids += header + body + [newline]
        mask += [False] * len(header) + [trains] * len(body) + [False]
    if add_generation_prompt:
        header = [start, *sp.encode("model"), newline]
        ids += header
        mask += [False] * len(header)
    return ids, mask
