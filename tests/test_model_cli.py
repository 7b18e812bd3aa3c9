"""python -m model generate / export-hf on a saved checkpoint with a SentencePiece tokenizer."""

import json

import sentencepiece as spm
import torch
from transformers import Gemma3ForCausalLM as HFGemma3

from model.__main__ import main
from model.config import preset
from model.hf import to_hf
from tests.model_helpers import random_model


def make_checkpoint(folder):
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "text.txt"
    text.write_text("\n".join(["भारत एक विशाल देश है।", "kal movie dekhne chalein?", "हिंदी भाषा"] * 50))
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / "tokenizer"), vocab_size=340,
                                   model_type="bpe", byte_fallback=True, pad_id=0, eos_id=1, bos_id=2, unk_id=3)
    to_hf(random_model(preset("tiny")), folder)
    return folder


def test_generate_streams_a_continuation_of_the_prompt(tmp_path, capsys):
    checkpoint = make_checkpoint(tmp_path)
    assert main(["generate", "--checkpoint", str(checkpoint), "--prompt", "भारत", "--max-new-tokens", "8",
                 "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("भारत") and len(out.strip()) > len("भारत")


def test_a_sampling_value_that_would_underflow_is_a_clear_error(tmp_path, capsys):
    checkpoint = make_checkpoint(tmp_path)
    for flag in ("--temperature", "--top-p"):  # positive, but 0 in float32: the sampler would draw from NaNs
        assert main(["generate", "--checkpoint", str(checkpoint), "--prompt", "भारत", flag, "1e-300"]) == 2
        assert "must be" in capsys.readouterr().err


def test_export_hf_writes_a_directory_transformers_loads(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "ckpt")
    assert main(["export-hf", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "hf")]) == 0
    assert (tmp_path / "hf" / "tokenizer.model").exists()
    reference = HFGemma3.from_pretrained(tmp_path / "hf")
    assert reference(torch.tensor([[2, 5, 7]])).logits.shape == (1, 3, preset("tiny").vocab_size)


def test_a_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["export-hf", "--checkpoint", str(tmp_path / "nope"), "--out", str(tmp_path / "x")]) == 2
    assert "is not a checkpoint or Hugging Face model directory" in capsys.readouterr().err


def test_an_exported_chat_model_stops_at_the_end_of_its_turn_in_transformers(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    text = folder / "text.txt"
    text.write_text("\n".join(["भारत एक विशाल देश है।", "kal movie dekhne chalein?"] * 50))
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / "tokenizer"), vocab_size=300,
                                   model_type="bpe", byte_fallback=True, pad_id=0, eos_id=1, bos_id=2, unk_id=3,
                                   user_defined_symbols=["<start_of_turn>", "<end_of_turn>"])
    end_of_turn = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model")).piece_to_id("<end_of_turn>")
    module = random_model(preset("tiny"))
    with torch.no_grad():  # every hidden state points along one direction, which only <end_of_turn>'s row follows
        direction = torch.randn(module.config.hidden_size)
        module.model.embed_tokens.weight.mul_(0.01).add_(direction / direction.norm())
        module.model.embed_tokens.weight[end_of_turn] = 50 * direction / direction.norm()
        for layer in module.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        module.model.norm.weight.zero_()
    to_hf(module, folder)
    assert main(["export-hf", "--checkpoint", str(folder), "--out", str(tmp_path / "hf")]) == 0
    generation = json.loads((tmp_path / "hf" / "generation_config.json").read_text())
    assert generation["eos_token_id"] == [1, end_of_turn]
    exported = HFGemma3.from_pretrained(tmp_path / "hf").eval()
    out = exported.generate(torch.tensor([[2, 10, 11]]), max_new_tokens=8, do_sample=False)
    assert out[0].tolist() == [2, 10, 11, end_of_turn]  # not seven more turns invented after it
