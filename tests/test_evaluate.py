"""Held-out evaluation: bits per byte of whole documents (sliding window past the context), the multiple-choice
scorer, the task files `make-tasks` writes, and the trainer's held-out figure."""

import json
import math
from dataclasses import replace

import pytest
import torch

from evaluation.__main__ import main
from evaluation.multiple_choice import accuracy, next_sentence_items, option_loglikelihoods, sentences
from model.config import preset
from model.hf import from_hf, tokenizer_of
from model.scoring import score_documents, windows
from tests.conftest import write_jsonl
from tests.evaluation_helpers import TRAINED, UNRELATED, latest_checkpoint
from tests.model_helpers import random_model
from trainer.logger import read_log


@pytest.fixture(scope="module")
def checkpoint(repeated_text_run):
    return latest_checkpoint(repeated_text_run)


def eval_json(capsys, *args) -> dict:
    assert main(["evaluate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_bits_per_byte_is_lower_on_the_trained_text_than_on_unrelated_text(checkpoint, tmp_path, capsys):
    (tmp_path / "trained.txt").write_text(f"{TRAINED}\n{TRAINED}\n", encoding="utf-8")
    write_jsonl(tmp_path / "unrelated.jsonl", [{"text": UNRELATED}])
    figures = eval_json(capsys, "--checkpoint", str(checkpoint), "--context", "64", "--text",
                        str(tmp_path / "trained.txt"), str(tmp_path / "unrelated.jsonl"))
    trained, unrelated = figures["texts"]["trained"], figures["texts"]["unrelated"]
    assert trained["documents"] == 2 and trained["bytes"] == 2 * len(TRAINED.encode())
    assert trained["bits_per_byte"] < 0.5 < 2 < unrelated["bits_per_byte"]
    assert trained["nats_per_token"] < unrelated["nats_per_token"]


def test_every_position_is_scored_once_and_with_the_overlap_as_context():
    spans = windows(100, context=32, stride=8)
    scored = [p for _, end, first in spans for p in range(first, end)]
    assert scored == list(range(100))
    assert all(end - start == 32 and first - start >= 24 for start, end, first in spans[1:])
    assert windows(20, context=32, stride=8) == [(0, 20, 0)]


def test_a_document_that_fits_the_context_is_scored_as_one_full_forward(checkpoint):
    module, sp = from_hf(checkpoint), tokenizer_of(checkpoint)
    ids = torch.tensor([[sp.bos_id()] + sp.encode(UNRELATED)])
    with torch.no_grad():
        logprobs = torch.log_softmax(module(ids[:, :-1]).double(), dim=-1)
    expected = -logprobs[0, torch.arange(ids.shape[1] - 1), ids[0, 1:]].sum().item()
    score = score_documents(module, sp, [UNRELATED], context=512, progress=False)
    assert score.nats == pytest.approx(expected, rel=1e-5)
    assert score.bits_per_byte == pytest.approx(expected / math.log(2) / len(UNRELATED.encode()), rel=1e-5)


def test_sliding_window_bits_per_byte_equal_full_context_ones_when_the_model_sees_less_than_the_overlap(checkpoint):
    """Two sliding-window layers of window 4 see 6 tokens back: with 16 tokens of overlap, every window gives each
    position everything the model would use, so the long document scores as in one window."""
    config = replace(preset("tiny").with_vocab(512), num_layers=2, sliding_window=4, layer_types=("sliding",) * 2)
    module, sp = random_model(config), tokenizer_of(checkpoint)
    document = " ".join([TRAINED, UNRELATED] * 3)
    assert len(sp.encode(document)) > 100
    full = score_documents(module, sp, [document], context=512, progress=False)
    sliding = score_documents(module, sp, [document], context=24, stride=8, batch_size=3, progress=False)
    assert sliding.bits_per_byte == pytest.approx(full.bits_per_byte, rel=1e-5)
    short = score_documents(module, sp, [document], context=4, stride=4, progress=False)
    assert short.bits_per_byte != pytest.approx(full.bits_per_byte, rel=1e-3)  # too little context does show


def test_the_multiple_choice_scorer_picks_the_option_the_model_was_trained_to_prefer(checkpoint):
    module, sp = from_hf(checkpoint), tokenizer_of(checkpoint)
    told = sentences(TRAINED)
    wrong = sentences(UNRELATED)
    items = [{"context": " ".join(told[:3]), "choices": [wrong[0], wrong[1], told[3], wrong[2]], "label": 2},
             {"context": " ".join(told[1:3]), "choices": [told[3], wrong[2], wrong[0], wrong[1]], "label": 0}]
    scores = option_loglikelihoods(module, sp, items, batch_size=3, progress=False)
    assert [max(range(4), key=s.__getitem__) for s in scores] == [2, 0]
    assert accuracy(items, scores) == {"items": 2, "accuracy": 1.0, "accuracy_norm": 1.0, "chance": 0.25}


def test_make_tasks_writes_the_same_files_from_the_same_documents(tmp_path, capsys):
    stories = [f"{TRAINED} {UNRELATED} {TRAINED}", f"{UNRELATED} {TRAINED}", UNRELATED]
    write_jsonl(tmp_path / "held.jsonl", [{"text": s} for s in stories])
    for out in ("a", "b"):
        assert main(["make-tasks", "--input", str(tmp_path / "held.jsonl"), "--out", str(tmp_path / out)]) == 0
    assert capsys.readouterr().out.count("next_sentence_hi.jsonl") == 2
    for name in ("heldout_hi.jsonl", "heldout_hinglish.jsonl", "next_sentence_hi.jsonl", "next_sentence_hi_Latn.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    items = [json.loads(line) for line in (tmp_path / "a" / "next_sentence_hi.jsonl").read_text().splitlines()]
    roman = [json.loads(line) for line in (tmp_path / "a" / "next_sentence_hi_Latn.jsonl").read_text().splitlines()]
    assert items and all(len(i["choices"]) == 4 for i in items)
    for item in items:  # the true next sentence follows the context in its document
        assert any(item["context"] + " " + item["choices"][item["label"]] in story for story in stories)
    assert [i["label"] for i in roman] == [i["label"] for i in items]
    assert not any("\u0900" <= ch <= "\u097f" for i in roman for ch in i["context"] + "".join(i["choices"]))


def test_next_sentence_items_need_two_documents():
    with pytest.raises(ValueError, match="two documents"):
        next_sentence_items([TRAINED * 3])


def test_a_bad_record_is_named_with_its_file_and_line(checkpoint, tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text('{"text": "ठीक"}\n{"title": "no text"}\n', encoding="utf-8")
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--text", str(tmp_path / "bad.jsonl")]) == 2
    assert f"{tmp_path / 'bad.jsonl'}:2" in capsys.readouterr().err


def test_the_trainer_reports_the_held_out_figure_that_evaluate_gives(repeated_text_run, checkpoint, capsys):
    last = [r for r in read_log(repeated_text_run) if r.get("event") == "eval"][-1]
    figures = eval_json(capsys, "--checkpoint", str(checkpoint), "--context", "64", "--stride", "32", "--text",
                        str(repeated_text_run.parent / "trained.txt"))
    assert last["heldout_bpb/trained"] == pytest.approx(figures["texts"]["trained"]["bits_per_byte"], rel=1e-4)

