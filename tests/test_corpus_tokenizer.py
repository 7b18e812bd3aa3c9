"""The default tokenizer config on the real corpus beats Gemma 3 on held-out Hindi and Hinglish (slow: ~30 s)."""

import json

import pytest

from tests.conftest import REPO, corpus_path
from tokenizer.__main__ import main


@pytest.mark.slow
def test_default_tokenizer_beats_gemma3_on_held_out_hindi_and_hinglish(tmp_path):
    corpus_path("reference_tokenizers", "gemma3")
    inputs = [str(corpus_path(folder)) for folder in ("hi_wiki_or_news", "hinglish", "english")]
    args = ["train", str(REPO / "configs" / "tokenizer.yaml"), "--out", str(tmp_path / "tok")]
    assert main(args + [arg for path in inputs for arg in ("--input", path)]) == 0
    heldout = json.loads((tmp_path / "tok" / "card.json").read_text())["heldout"]
    for group in ("hindi", "hinglish"):
        ours, gemma3 = heldout[group][0], next(r for r in heldout[group] if r["tokenizer"] == "Gemma 3")
        assert ours["tokens_per_word"] < gemma3["tokens_per_word"], group
        assert ours["byte_fallback_rate"] <= 0.002 and ours["round_trip_exact"] == 1.0, group
    assert heldout["hindi"][0]["tokens_per_word"] <= 1.30
