"""Tokenizer: sampling by script, training, Hugging Face files with the same ids, evaluation figures."""

import json
import re

import pytest
import sentencepiece as spm
from tokenizers import Tokenizer

from pipeline.hinglish.romanize import romanize
from pipeline.tokenize.word_cache import WordCachedEncoder
from tests.conftest import REPO, write_jsonl
from tokenizer.__main__ import main
from tokenizer.config import SampleConfig, TokenizerConfig, TrainConfig
from tokenizer.metrics import evaluate
from tokenizer.references import sentencepiece_encoder
from tokenizer.sample import draw_sample, split_long_line
from tokenizer.script_groups import script_group
from tokenizer.train import train_tokenizer

HINGLISH = ["kal movie dekhne chalein? mujhe bahut pasand hai", "yaar ye gaana kitna accha hai na",
            "aaj office nahi jaana, ghar pe kaam karunga", "kya tum kal aa rahe ho party mein"]
ENGLISH = ["The river flows from the mountains to the sea.", "Trains were late because of the fog this morning."]
HARD_CASES = ["नमस्ते दुनिया\nदूसरी पंक्ति", "  दो  स्पेस  ", "क्‍या ज़िंदगी 2024 ₹45,000 ०१२", "emoji 😀 and Ω",
              "kal movie dekhne chalein?", "<end_of_turn> बाद में"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small tokenizer trained on the bundled sample text plus Hinglish and English lines."""
    folder = tmp_path_factory.mktemp("tokenizer")
    hindi = (REPO / "pipeline" / "sample_data" / "sample_cc100_style.txt").read_text(encoding="utf-8").split("\n\n")
    records = [{"id": f"d{i}", "text": text} for i, text in enumerate(hindi * 3 + HINGLISH * 5 + ENGLISH * 5)]
    data = write_jsonl(folder / "data" / "docs.jsonl", records)
    config = TokenizerConfig(out=str(folder / "tok"),
                             sample=SampleConfig(inputs=[str(data)], sentences=10_000, heldout_lines=2,
                                                 heldout_documents=0.3),
                             train=TrainConfig(vocab_size=600, hard_vocab_limit=False))
    return train_tokenizer(config)


def test_lines_are_grouped_by_script_and_romanised_hindi_markers():
    assert script_group("भारत एक विशाल देश है, India भी कहते हैं") == "hindi"
    assert script_group("kal movie dekhne chalein? mujhe bahut pasand hai") == "hinglish"
    assert script_group("The train to Delhi was late again this morning.") == "english"
    assert script_group("12345 --- ***") == "other"


def test_the_sample_groups_documents_by_the_pipelines_language(tmp_path):
    # no romanised function word a word list could spot: only the pipeline's label says this is Hinglish
    records = [{"id": f"h{i}", "text": f"shaadi party dance number {i}", "metadata": {"language": "hi_Latn"}}
               for i in range(40)]
    records += [{"id": f"e{i}", "text": f"shaadi party dance number {i}"} for i in range(40)]  # no label
    data = write_jsonl(tmp_path / "out" / "00000.jsonl", records)
    stats = draw_sample(SampleConfig(inputs=[str(data)], sentences=200, heldout_lines=0), tmp_path / "sample")
    assert stats["lines_seen"] == {"hinglish": 40, "english": 40}


def test_held_out_lines_come_from_documents_kept_out_of_training_and_short_groups_repeat(tmp_path):
    records = [{"id": f"h{i}", "text": f"यह वाक्य संख्या {i} है।\nदूसरी पंक्ति {i} यहाँ है।"} for i in range(200)]
    records += [{"id": f"l{i}", "text": f"yaar kal {i} baje milte hain"} for i in range(20)]
    data = write_jsonl(tmp_path / "docs.jsonl", records)
    config = SampleConfig(inputs=[str(data)], sentences=800, mix={"hindi": 0.5, "hinglish": 0.5}, max_repeats=4,
                          heldout_lines=1000, heldout_documents=0.2)
    stats = draw_sample(config, tmp_path / "sample")
    def numbers(name: str) -> set[str]:
        lines = (tmp_path / "sample" / name).read_text(encoding="utf-8").split("\n")
        return {line.split()[3] for line in lines if line.startswith("यह")}

    held, trained = (tmp_path / "sample" / "heldout_hindi.txt").read_text(encoding="utf-8"), numbers("sample.txt")
    assert 20 <= len(numbers("heldout_hindi.txt")) <= 60 and not trained & numbers("heldout_hindi.txt")
    assert len(trained) + len(numbers("heldout_hindi.txt")) == 200
    assert all(f"दूसरी पंक्ति {n} यहाँ है।" in held for n in numbers("heldout_hindi.txt"))  # whole documents
    # Hinglish: about 16 documents trained, short of its quota of 400 lines: repeated 4 times (max_repeats)
    assert stats["lines_kept"]["hinglish"] == 4 * (20 - stats["heldout_lines"]["hinglish"])
    assert stats["lines_kept"]["hindi"] == 2 * len(trained)  # 400 lines of quota: no repeat


def test_a_romanised_copy_is_held_out_with_its_original(tmp_path):
    records = []
    for i in range(100):
        original = {"id": f"d{i}", "text": f"यह वाक्य संख्या {i} है।", "metadata": {"language": "hi_Deva"}}
        copy = {"id": f"d{i}-hi_Latn", "text": romanize(original["text"]),
                "metadata": {"language": "hi_Latn", "parent_id": f"d{i}"}}
        records += [original, copy]
    data = write_jsonl(tmp_path / "docs.jsonl", records)
    draw_sample(SampleConfig(inputs=[str(data)], sentences=1000, heldout_lines=1000, heldout_documents=0.3),
                tmp_path / "sample")

    def numbers(name: str) -> set[str]:
        return set(re.findall(r"\d+", (tmp_path / "sample" / name).read_text(encoding="utf-8")))

    held = numbers("heldout_hindi.txt")
    assert 10 <= len(held) <= 50 and numbers("heldout_hinglish.txt") == held
    assert not held & numbers("sample.txt")


def test_long_lines_are_cut_at_sentence_ends():
    line = "पहला वाक्य है। " * 40
    pieces = split_long_line(line.strip(), 100)
    assert all(len(p) <= 100 for p in pieces) and all(p.endswith("।") for p in pieces)
    assert " ".join(pieces) == line.strip()


def test_a_vocabulary_that_would_not_fit_uint16_is_refused():
    with pytest.raises(ValueError, match="65,536"):
        TrainConfig(vocab_size=70_000)


def test_special_ids_are_the_models(trained):
    sp = spm.SentencePieceProcessor(model_file=str(trained))
    assert [sp.id_to_piece(i) for i in range(4)] == ["<pad>", "<eos>", "<bos>", "<unk>"]
    assert sp.encode("\n") == [sp.piece_to_id("\n")]


def test_text_round_trips_exactly_whitespace_and_zwnj_included(trained):
    sp = spm.SentencePieceProcessor(model_file=str(trained))
    for text in HARD_CASES:
        assert sp.decode(sp.encode(text)) == text


def test_the_word_cache_gives_sentencepieces_ids(trained):
    sp = spm.SentencePieceProcessor(model_file=str(trained))
    texts = HARD_CASES + HINGLISH + ENGLISH + ["   ", "", "शब्द   तीन  स्पेस ", " आगे  पीछे  "]
    encoder = WordCachedEncoder(sp, max_words=8)  # small: the cache is cleared between the two calls
    assert encoder.encode(texts) == sp.encode(texts)
    assert encoder.encode(texts[::-1]) == sp.encode(texts[::-1])


def test_hugging_face_files_give_the_same_ids(trained):
    from transformers import AutoTokenizer

    sp = spm.SentencePieceProcessor(model_file=str(trained))
    backend = Tokenizer.from_file(str(trained.parent / "tokenizer.json"))
    hf = AutoTokenizer.from_pretrained(str(trained.parent))
    for text in HARD_CASES + HINGLISH + ENGLISH:
        ids = sp.encode(text)
        assert backend.encode(text, add_special_tokens=False).ids == ids, text
        assert hf(text, add_special_tokens=False)["input_ids"] == ids, text
        assert hf(text)["input_ids"] == [sp.bos_id()] + ids  # transformers adds <bos>, as Gemma does
        assert hf.decode(ids) == text


def test_evaluation_counts_tokens_words_and_byte_fallback(trained):
    encoder = sentencepiece_encoder("ours", trained)
    figures = evaluate(encoder, ["नमस्ते दुनिया", "😀"])
    assert figures["words"] == 3 and figures["round_trip_exact"] == 1.0
    assert figures["byte_fallback_rate"] >= round(4 / figures["tokens"], 5)  # the emoji: four UTF-8 bytes, unseen


def test_training_writes_a_card_with_the_held_out_comparison(trained):
    card = (trained.parent / "card.md").read_text(encoding="utf-8")
    assert "Held-out hindi text" in card and "| ours" in card
    train = json.loads((trained.parent / "train.json").read_text())
    assert train["sample"]["lines_kept"]["hinglish"] > 0 and train["vocab_size"] <= 600


def test_eval_command_prints_json_figures(trained, tmp_path, capsys):
    text = tmp_path / "text.txt"
    text.write_text("\n".join(HINGLISH), encoding="utf-8")
    assert main(["eval", "--model", str(trained), "--text", str(text), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["round_trip_exact"] == 1.0 and rows[0]["tokens_per_word"] > 0


def test_a_too_small_sample_for_a_hard_vocabulary_is_a_clear_error(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "छोटा पाठ"}])
    args = ["train", str(REPO / "configs" / "tokenizer.yaml"), "--input", str(data), "--out", str(tmp_path / "t")]
    assert main(args) == 2
    assert "train.hard_vocab_limit=false" in capsys.readouterr().err
