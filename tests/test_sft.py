"""SFT: the conversations builder (split, weights, bad records), padded rows that give the loss of their
conversations one by one, a killed SFT run that resumes exactly, LoRA merged on save equal to the unmerged
model (and to its Hugging Face export), and a fine-tuned model whose replies end at <end_of_turn> (in the chat
CLI too) with the figures of sft-eval before and after."""

import json
import shutil
import subprocess
import sys

import pytest
import sentencepiece as spm
import torch
from transformers import Gemma3ForCausalLM as HFGemma3

from evaluation.sft_eval import evaluate_checkpoint
from model.__main__ import main as model_main
from model.chat import generate_reply
from model.config import preset
from model.hf import from_hf, to_hf
from model.loss import IGNORE_INDEX
from pipeline.typed_config import load_config
from tests.conftest import CORPUS, REPO, corpus_path
from tests.model_helpers import random_model
from tests.trainer_helpers import build_shards, kill_after_step, step_losses
from trainer.config import TrainConfig
from trainer.logger import read_log
from trainer.loop import Trainer
from trainer.sft.batches import ConversationBatches
from trainer.sft.data import SFTDataConfig, build_sft_data

SAMPLE = REPO / "configs" / "sft_sample.yaml"
SFT_TINY = REPO / "configs" / "sft_tiny.yaml"


def sample_data(out, **overrides) -> dict:
    config = load_config(SFTDataConfig, SAMPLE, [f"out={out}", f"corpus={REPO}"] + [f"{k}={v}" for k, v in
                                                                                    overrides.items()])
    return build_sft_data(config)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A 'pretrained' checkpoint: random tiny weights with a tokenizer that has the turn pieces."""
    folder = tmp_path_factory.mktemp("base")
    tokenizer = build_shards(folder / "data").parent / "tok"
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer / "tokenizer.model"))
    to_hf(random_model(preset("tiny").with_vocab(sp.get_piece_size())), folder / "ckpt")
    for file in tokenizer.iterdir():
        if file.name.startswith("tokenizer"):
            shutil.copy(file, folder / "ckpt" / file.name)
    return folder / "ckpt"


@pytest.fixture(scope="module")
def sft_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft_data")
    sample_data(out)
    return out


def sft_config(pretrained, sft_data, out_dir, **overrides) -> TrainConfig:
    items = [f"init_from={pretrained}", f"sft_data={sft_data}", f"out_dir={out_dir}", "tensorboard=false",
             "sample_tokens=0"]
    return load_config(TrainConfig, SFT_TINY, items + [f"{k}={v}" for k, v in overrides.items()])


def test_the_builder_splits_by_record_counts_bad_records_with_their_line_and_weights_train_only(tmp_path):
    once = sample_data(tmp_path / "a")
    again = sample_data(tmp_path / "b")
    twice = {"name": "sample", "kind": "conversations", "path": "trainer/sample_data/conversations.jsonl",
             "weight": 2.0}
    doubled = sample_data(tmp_path / "c", sources=json.dumps([twice]))
    source = once["sources"]["sample"]
    assert source["train"] + source["val"] == 48 and source["val"] > 0
    assert [(b["line"], b["reason"].split(":")[0]) for b in source["bad_examples"]] == [(49, "bad_messages"),
                                                                                        (50, "malformed_json")]
    assert (tmp_path / "a" / "val.jsonl").read_text() == (tmp_path / "b" / "val.jsonl").read_text()
    assert again["train"] == once["train"]
    assert doubled["train"] == 2 * once["train"] and doubled["val"] == once["val"]
    assert "conversations.jsonl:49" in (tmp_path / "a" / "card.md").read_text()


def test_corpus_sources_give_conversations_and_keep_a_records_conversations_in_one_split(tmp_path):
    corpus_path("instructions")
    config = load_config(SFTDataConfig, REPO / "configs" / "sft_data.yaml",
                         [f"out={tmp_path}", f"corpus={CORPUS}"])
    stats = build_sft_data(config)
    assert all(s["train"] > 0 and s["val"] > 0 for s in stats["sources"].values())
    roots = {split: {r["id"].split(":")[0] for r in map(json.loads, (tmp_path / f"{split}.jsonl").open())}
             for split in ("train", "val")}
    assert not roots["train"] & roots["val"]  # both translation directions of a pair share a split


def test_padded_rows_give_the_loss_of_their_conversations_one_by_one(pretrained, sft_data):
    sp = spm.SentencePieceProcessor(model_file=str(pretrained / "tokenizer.model"))
    batches = ConversationBatches(sft_data, "train", sp, block_size=256, seed=0, micro_batches_per_step=1,
                                  shuffle=True)
    module = from_hf(pretrained)
    inputs, targets = batches.batch(6, step=0, index=0)
    with torch.no_grad():
        together = module(inputs, targets)
        losses, counts = [], []
        for row_inputs, row_targets in zip(inputs, targets, strict=True):
            length = int((row_targets != IGNORE_INDEX).nonzero().max()) + 1  # the row without its padding
            losses.append(module(row_inputs[None, :length], row_targets[None, :length]))
            counts.append(int((row_targets != IGNORE_INDEX).sum()))
    one_by_one = sum(loss * n for loss, n in zip(losses, counts, strict=True)) / sum(counts)
    assert inputs.shape[1] in (64, 128, 256) and (inputs == sp.pad_id()).any()
    assert torch.allclose(together, one_by_one, atol=1e-5)


def sft_command(pretrained, sft_data, out_dir, *extra) -> list[str]:
    return [sys.executable, "-m", "trainer", str(SFT_TINY), f"--init_from={pretrained}", f"--sft_data={sft_data}",
            f"--out_dir={out_dir}", "--tensorboard=false", "--sample_tokens=0", *extra]


def test_a_killed_sft_run_resumes_with_the_same_losses(pretrained, sft_data, tmp_path):
    settings = ["--max_steps=30", "--checkpoint_every=5", "--eval_every=15", "--batch_size=2", "--block_size=128"]
    subprocess.run(sft_command(pretrained, sft_data, tmp_path / "whole", *settings), check=True, cwd=REPO,
                   capture_output=True)
    kill_after_step(sft_command(pretrained, sft_data, tmp_path / "killed", *settings), tmp_path / "killed", 12, REPO)
    whole, resumed = read_log(tmp_path / "whole"), read_log(tmp_path / "killed")
    resume = next(r for r in resumed if r.get("event") == "resume")
    assert resume["step"] >= 10
    continued = step_losses(resumed[resumed.index(resume) + 1 :])
    assert sorted(continued) == list(range(resume["step"] + 1, 31))
    assert all(continued[s] == step_losses(whole)[s] for s in continued)
    evals = [r["val_loss"] for r in whole if r.get("event") == "eval"]
    assert len(evals) == 2 and evals[1] < evals[0]


def test_lora_merged_on_save_gives_the_unmerged_models_logits_and_resumes_exactly(pretrained, sft_data, tmp_path):
    lora = {"lora_rank": 4, "lora_targets": json.dumps(["q_proj", "v_proj", "gate_proj"]), "lr": 0.01,
            "max_steps": 10, "warmup_steps": 2, "checkpoint_every": 5, "eval_every": 10, "batch_size": 2,
            "block_size": 128}
    trainer = Trainer(sft_config(pretrained, sft_data, tmp_path / "run", **lora), resume=False)
    trained = [n for n, p in trainer.module.named_parameters() if p.requires_grad]
    assert trained and all("lora_" in n for n in trained)
    trainer.run()
    checkpoint = tmp_path / "run" / "checkpoints" / "step_00000010"
    ids = torch.randint(4, 300, (2, 40))
    with torch.no_grad():
        unmerged = trainer.module(ids)
        merged = from_hf(checkpoint)(ids)
        exported = HFGemma3.from_pretrained(to_hf(from_hf(checkpoint), tmp_path / "hf")).eval()(ids).logits
    assert not torch.allclose(merged, from_hf(pretrained)(ids), atol=1e-3), "the adapters trained"
    assert torch.allclose(merged, unmerged, atol=1e-5) and torch.allclose(exported, unmerged, atol=1e-4)

    first = step_losses(read_log(tmp_path / "run"))
    shutil.rmtree(checkpoint)
    (tmp_path / "run" / "checkpoints" / "latest").write_text("step_00000005\n")
    Trainer(sft_config(pretrained, sft_data, tmp_path / "run", **lora), resume=True).run()
    again = step_losses(read_log(tmp_path / "run"))
    assert sorted(again) == list(range(1, 11)) and all(again[s] == first[s] for s in range(6, 11))


def test_a_fine_tuned_model_answers_in_turns_that_end_at_end_of_turn(pretrained, tmp_path, capsys):
    conversations = [[{"role": "user", "content": "भारत की राजधानी क्या है?"},
                      {"role": "assistant", "content": "नई दिल्ली"}],
                     [{"role": "user", "content": "kal movie dekhne chalein?"},
                      {"role": "assistant", "content": "haan yaar"}]]
    two_turns = conversations[0] + conversations[1]  # the REPL below carries the first turn into the second
    for split in ("train", "val"):
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / f"{split}.jsonl").write_text(
            "".join(json.dumps({"messages": c}, ensure_ascii=False) + "\n" for c in [*conversations, two_turns]))
    Trainer(sft_config(pretrained, tmp_path / "data", tmp_path / "run", max_steps=50, warmup_steps=5, lr=0.01,
                       eval_every=50, checkpoint_every=50, batch_size=3, block_size=128), resume=False).run()
    checkpoint = tmp_path / "run" / "checkpoints" / "step_00000050"
    module, sp = from_hf(checkpoint), spm.SentencePieceProcessor(model_file=str(checkpoint / "tokenizer.model"))
    for question, answer in conversations:
        reply = generate_reply(module, sp, [question], max_new_tokens=16, temperature=0.0)
        assert reply.ended and reply.text == answer["content"]
    assert model_main(["chat", "--checkpoint", str(checkpoint), "--message", "kal movie dekhne chalein?",
                       "--temperature", "0"]) == 0
    assert capsys.readouterr().out == "haan yaar\n"
    repl = subprocess.run([sys.executable, "-m", "model", "chat", "--checkpoint", str(checkpoint), "--temperature",
                           "0"], input="भारत की राजधानी क्या है?\nkal movie dekhne chalein?\n", capture_output=True,
                          text=True, cwd=REPO, check=True)
    assert repl.stdout == "> नई दिल्ली\n> haan yaar\n> "  # two turns of one conversation, then end of input

    before, after = (evaluate_checkpoint(c, tmp_path / "data", ["भारत की राजधानी क्या है?", "kal movie dekhne chalein?"],
                                         max_new_tokens=16, block_size=128) for c in (pretrained, checkpoint))
    assert after["format_adherence"] == after["script_agreement"] == 1.0 and before["format_adherence"] == 0.0
    assert after["sft_val_loss"] < before["sft_val_loss"]
