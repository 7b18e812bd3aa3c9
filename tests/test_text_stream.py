"""Streaming generated text: one streamer (model/text_stream.py) that never shows half a character, and stop
strings (webapp/stop_text.py) that cut a reply without sending any part of them, in linear time."""

import pytest
import sentencepiece as spm

from model.errors import ModelInputError
from model.text_stream import TextStream, sentencepiece_bytes
from tests.trainer_helpers import build_shards
from webapp.stop_text import MAX_STOP_CHARS, StopText

# Tamil, emoji and rare Devanagari conjuncts are not pieces of the small tokenizer: they arrive byte by byte
TEXTS = ["नमस्ते भारत", "தமிழ் और 😀 byte fallback", "kal movie dekhne chalein? क्ष्म्य", "दिल्ली\nनई  पंक्ति"]


@pytest.fixture(scope="module")
def sp(tmp_path_factory):
    tok = build_shards(tmp_path_factory.mktemp("stream")).parent / "tok"
    return spm.SentencePieceProcessor(model_file=str(tok / "tokenizer.model"))


@pytest.mark.parametrize("text", TEXTS)
def test_the_streamed_text_is_what_sentencepiece_decodes_and_never_shows_a_replacement_character(sp, text):
    ids = sp.encode(text)
    stream = TextStream(sentencepiece_bytes(sp))
    deltas = [stream.add(i) for i in ids]
    assert not any("\ufffd" in d for d in deltas)
    assert "".join(deltas) + stream.finish() == sp.decode(ids) == text


def test_a_character_cut_short_at_the_end_shows_as_one_replacement_character(sp):
    ids = sp.encode("😀")
    assert len(ids) == 4 and all(sp.is_byte(i) for i in ids)  # four UTF-8 bytes, four byte pieces
    stream = TextStream(sentencepiece_bytes(sp))
    assert [stream.add(i) for i in ids[:-1]] == [""] * (len(ids) - 1)
    assert stream.finish() == "\ufffd"


def test_control_pieces_add_no_text(sp):
    stream = TextStream(sentencepiece_bytes(sp))
    assert stream.extend([sp.bos_id(), *sp.encode("भारत"), sp.eos_id(), sp.get_piece_size() + 5]) == "भारत"


def feed_all(stop: StopText, pieces: list[str]) -> str:
    sent = "".join(stop.feed(p) for p in pieces)
    return sent + ("" if stop.stopped else stop.flush())


def test_a_stop_string_split_over_pieces_is_held_back_and_never_sent():
    stop = StopText(("###",))
    assert stop.feed("नमस्ते #") == "नमस्ते "
    assert stop.feed("#") == ""
    assert stop.feed("# बाकी") == "" and stop.stopped and stop.text == "नमस्ते "


def test_a_tail_that_stops_matching_is_released():
    stop = StopText(("aab",))
    assert stop.feed("xaa") == "x"
    assert stop.feed("a") == "a"  # "aaa": only the last "aa" may still become "aab"
    assert stop.feed("c") == "aac" and not stop.stopped


def test_the_earliest_completed_stop_string_wins_and_overlapping_prefixes_are_found():
    assert feed_all(StopText(("abab", "ba")), ["a", "b", "a"]) == "a"
    assert feed_all(StopText(("aab",)), ["aa", "a", "ab", "zz"]) == "aa"  # "aaaab"
    assert feed_all(StopText(("", "END")), ["one", " EN", "D two"]) == "one "
    assert feed_all(StopText(()), ["no", " stops"]) == "no stops"


def test_a_stop_string_over_the_cap_is_refused_and_one_at_the_cap_works():
    with pytest.raises(ModelInputError, match=f"over the limit of {MAX_STOP_CHARS:,}"):
        StopText(("x" * (MAX_STOP_CHARS + 1),))
    longest = "ab" * (MAX_STOP_CHARS // 2)
    never = StopText((longest[:-1] + "c",))  # "abab…ac": the text keeps matching all but its last character
    assert feed_all(never, ["ab"] * MAX_STOP_CHARS) == "ab" * MAX_STOP_CHARS and not never.stopped
    at_cap = StopText((longest,))
    assert feed_all(at_cap, ["zz", *["ab"] * MAX_STOP_CHARS]) == "zz" and at_cap.stopped
