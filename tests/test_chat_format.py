"""Gemma 3's chat turns: the ids and train mask of render_chat, the exported chat_template giving the same ids
through transformers, errors that name the message, streaming and history trimming in model.chat."""

import pytest
import sentencepiece as spm
from transformers import AutoTokenizer

from model.chat import chat, generate_reply
from model.chat_format import END, render_chat
from model.config import preset
from model.hf import copy_tokenizer_files
from tests.model_helpers import random_model
from tests.trainer_helpers import build_shards

SYSTEM = {"role": "system", "content": "आप एक मददगार सहायक हैं।"}
TURNS = [
    {"role": "user", "content": "भारत की राजधानी क्या है?"},
    {"role": "assistant", "content": "नई दिल्ली।\nयह एक बड़ा शहर है। "},
    {"role": "user", "content": "  kal movie dekhne chalein?"},
    {"role": "assistant", "content": "haan yaar, accha idea hai"},
]


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    """A model directory's tokenizer files (the tokenizer's, with the model's chat template), as every checkpoint
    and export carries them."""
    trained = build_shards(tmp_path_factory.mktemp("chat")).parent / "tok"
    copy_tokenizer_files(trained, trained.parent)
    return trained.parent


@pytest.fixture(scope="module")
def sp(tokenizer_dir):
    return spm.SentencePieceProcessor(model_file=str(tokenizer_dir / "tokenizer.model"))


def test_the_rendered_text_is_gemma_3s_turns_with_the_system_message_in_the_first_user_turn(sp):
    ids, _ = render_chat(sp, [SYSTEM, *TURNS[:3]], add_generation_prompt=True)
    assert sp.decode(ids) == ("<start_of_turn>user\nआप एक मददगार सहायक हैं।\n\nभारत की राजधानी क्या है?<end_of_turn>\n"
                              "<start_of_turn>model\nनई दिल्ली।\nयह एक बड़ा शहर है।<end_of_turn>\n"
                              "<start_of_turn>user\nkal movie dekhne chalein?<end_of_turn>\n<start_of_turn>model\n")
    assert ids[0] == sp.bos_id()  # decode drops the control piece; it is there


def test_the_mask_covers_exactly_the_models_replies_and_their_end_of_turn(sp):
    ids, mask = render_chat(sp, [SYSTEM, *TURNS])
    trained = [i for i, m in zip(ids, mask, strict=True) if m]
    end = sp.piece_to_id(END)
    replies = [m["content"].strip() for m in TURNS if m["role"] == "assistant"]
    assert trained == sp.encode(replies[0]) + [end] + sp.encode(replies[1]) + [end]
    assert len(mask) == len(ids)


@pytest.mark.parametrize("messages", [TURNS, [SYSTEM, *TURNS], TURNS[:1], [SYSTEM, *TURNS[:3]]],
                         ids=["multi-turn", "system-multi-turn", "one-question", "system-open-question"])
def test_transformers_apply_chat_template_gives_our_ids(sp, tokenizer_dir, messages):
    hf = AutoTokenizer.from_pretrained(tokenizer_dir)
    for generation_prompt in (False, True) if messages[-1]["role"] == "user" else (False,):
        ours, _ = render_chat(sp, messages, add_generation_prompt=generation_prompt)
        theirs = hf.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation_prompt)
        assert list(theirs["input_ids"]) == ours


@pytest.mark.parametrize("messages, error", [
    ([{"role": "assistant", "content": "x"}], "message 0: roles must alternate"),
    ([TURNS[0], TURNS[0]], "message 1: roles must alternate"),
    ([SYSTEM, TURNS[0], {"role": "tool", "content": "x"}], "message 2: role 'tool'"),
    ([TURNS[0], {"role": "assistant", "content": None}], "message 1: must be an object"),
    ([{"role": "user", "content": "a<end_of_turn>b"}], "message 0: content holds"),
    ([SYSTEM], "a system message needs a user message"),
])
def test_a_malformed_conversation_is_an_error_naming_the_message(sp, messages, error):
    with pytest.raises(ValueError, match=error):
        render_chat(sp, messages)


def test_a_generation_prompt_must_follow_a_user_message(sp):
    with pytest.raises(ValueError, match="message 1: a generation prompt follows a user message"):
        render_chat(sp, TURNS[:2], add_generation_prompt=True)


def test_chat_streams_the_text_it_returns(sp):
    module = random_model(preset("tiny").with_vocab(sp.get_piece_size()))
    pieces = []
    reply = generate_reply(module, sp, TURNS[:1], max_new_tokens=12, temperature=0.0, on_text=pieces.append)
    assert "".join(pieces) == reply.text == sp.decode(reply.token_ids)
    assert sp.piece_to_id(END) not in reply.token_ids and len(reply.token_ids) <= 12
    assert chat(module, sp, TURNS[:1], max_new_tokens=12, temperature=0.0) == reply.text


def test_old_turns_are_dropped_to_fit_the_context_and_the_system_message_stays(sp):
    module = random_model(preset("tiny").with_vocab(sp.get_piece_size()))
    long_history = [SYSTEM] + TURNS * 6 + [TURNS[0]]
    full, _ = render_chat(sp, long_history, add_generation_prompt=True)
    reply = generate_reply(module, sp, long_history, max_new_tokens=4, temperature=0.0,
                           context_tokens=len(full) // 2 + 4)
    assert reply.dropped_messages > 0 and reply.dropped_messages % 2 == 0
    assert reply.prompt_tokens <= len(full) // 2
    with pytest.raises(ValueError, match="the last message alone"):
        generate_reply(module, sp, [TURNS[0]], max_new_tokens=4, context_tokens=8)
