"""python -m model export-gguf, checked by llama.cpp itself: its tokenisation equals sentencepiece's, its f32 logits
and greedy tokens equal ours, q8_0 stays close; for the trained demo model and a gemma3-270m-shaped one."""

import math
import shutil

import numpy as np
import pytest
import sentencepiece as spm
import torch

from model.__main__ import main
from model.chat_format import CHAT_TEMPLATE, render_chat
from model.config import preset
from model.generate import generate
from model.gguf.runtime import LlamaCppModel
from model.hf import from_hf, to_hf
from model.sampling import Sampling
from pipeline.typed_config import load_config
from tests.conftest import REPO
from tests.model_helpers import random_model
from tests.test_model_cli import make_checkpoint
from tests.trainer_helpers import build_shards
from trainer.config import TrainConfig
from trainer.loop import Trainer

try:
    import llama_cpp  # noqa: F401  (loads llama.cpp's shared library)
except Exception as err:  # ImportError, or OSError when the library does not load on this machine
    pytest.skip(f"llama.cpp is not usable here ({err}); `make setup` builds llama-cpp-python", allow_module_level=True)

LINES = [
    "भारत एक विशाल देश है, जहाँ गंगा नदी बहती है।",
    "kal movie dekhne chalein? yaar, accha hai!",
    "The monsoon reached Delhi on 29 June 2024.",
    "दिल्ली में कोहरा\nनई पंक्ति  दो  spaces",
    "தமிழ் और 😀: byte fallback",
    "<start_of_turn>user\nनमस्ते<end_of_turn>\n",
]
SENTENCES = [
    "भारत एक विशाल देश है।", "गंगा नदी हिमालय से निकलती है।", "मानसून में बहुत बारिश होती है।",
    "दिल्ली में सर्दियों में कोहरा रहता है।", "किसान खेत में काम करता है।", "बाज़ार में बहुत भीड़ है।",
    "kal movie dekhne chalein?", "yaar, khana bahut accha tha.",
]


def documents(seed: int, count: int) -> list[str]:
    """Documents of the sentences in random order: words follow each other as in real text, sentences do not."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(SENTENCES, size=int(rng.integers(3, 9)))) for _ in range(count)]


# the Hindi sentences in an order no document has, and Hindi text none has
NEW_ORDER = " ".join(np.random.default_rng(1).permutation(SENTENCES[:6]).tolist() * 2)
UNSEEN = "हिमालय के पहाड़ों पर बर्फ़ गिरती है और नदियाँ मैदानों तक पानी लाती हैं। गाँव के लोग मेले में जाते हैं।"
# llama.cpp f32 (fp32 KV cache) against ours, relative to the largest |logit|: ggml's CPU GELU reads a table of
# fp16 values, which alone moves the logits by about 1e-3 of their range
LOGIT_TOLERANCE = 5e-3


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo chain in small: a tokenizer and shards, then 30 trainer steps of the tiny preset on CPU."""
    folder = tmp_path_factory.mktemp("demo")
    shards = build_shards(folder, documents(seed=0, count=300))
    overrides = [f"data_dir={shards}", f"out_dir={folder / 'run'}", "tensorboard=false", "sample_tokens=0",
                 "max_steps=30", "eval_every=30", "checkpoint_every=30"]
    Trainer(load_config(TrainConfig, REPO / "configs" / "train_tiny.yaml", overrides), resume=False).run()
    checkpoint = folder / "run" / "checkpoints" / (folder / "run" / "checkpoints" / "latest").read_text().strip()
    gguf = {kind: folder / f"demo_{kind}.gguf" for kind in ("f32", "q8_0")}
    for kind, out in gguf.items():
        assert main(["export-gguf", "--checkpoint", str(checkpoint), "--out", str(out), "--type", kind]) == 0
    return checkpoint, gguf


def sentencepiece(checkpoint):
    return spm.SentencePieceProcessor(model_file=str(checkpoint / "tokenizer.model"))


def our_logits(module, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return module(torch.tensor([ids]))[0].numpy()


def bits_per_byte(logits: np.ndarray, ids: list[int], text: str) -> float:
    """Bits to encode ids[1:] given the logits after each prefix, per UTF-8 byte of `text`."""
    logits = torch.from_numpy(logits[:-1]).double()
    nll = -logits.log_softmax(-1).gather(1, torch.tensor(ids[1:])[:, None]).sum().item()
    return nll / math.log(2) / len(text.encode())


def test_llama_cpp_tokenises_hindi_hinglish_and_english_as_sentencepiece(demo):
    checkpoint, gguf = demo
    sp = sentencepiece(checkpoint)
    with LlamaCppModel(gguf["f32"], n_ctx=256) as llama:
        for line in LINES:
            assert llama.tokenize(line) == [sp.bos_id()] + sp.encode(line), line


def test_f32_logits_and_greedy_tokens_equal_ours(demo):
    checkpoint, gguf = demo
    module, sp = from_hf(checkpoint).eval(), sentencepiece(checkpoint)
    ids = [sp.bos_id()] + sp.encode(NEW_ORDER)  # longer than the window (8): sliding layers really slide
    prompt = ids[:12]
    ours = generate(module, torch.tensor([prompt]), 32, eos_token_id=-1, vocab_limit=sp.get_piece_size())
    with LlamaCppModel(gguf["f32"], n_ctx=256, f32_cache=True) as llama:
        theirs_logits = llama.logits(ids)
        theirs_tokens = llama.greedy(prompt, 32, vocab_limit=sp.get_piece_size())
    ours_logits = our_logits(module, ids)
    assert np.abs(theirs_logits - ours_logits).max() < LOGIT_TOLERANCE * np.abs(ours_logits).max()
    assert theirs_tokens == ours[0, len(prompt):].tolist()


def test_q8_0_predicts_nearly_as_ours_on_held_out_hindi(demo):
    checkpoint, gguf = demo
    module, sp = from_hf(checkpoint).eval(), sentencepiece(checkpoint)
    ordered, unseen = ([sp.bos_id()] + sp.encode(text) for text in (NEW_ORDER, UNSEEN))
    with LlamaCppModel(gguf["q8_0"], n_ctx=256) as llama:
        quantised = llama.logits(ordered), llama.logits(unseen)
    ours = our_logits(module, ordered), our_logits(module, unseen)
    agreement = (quantised[0].argmax(-1) == ours[0].argmax(-1)).mean()  # the greedy choice at every position
    ours_bpb, quantised_bpb = bits_per_byte(ours[1], unseen, UNSEEN), bits_per_byte(quantised[1], unseen, UNSEEN)
    assert agreement >= 0.9
    assert abs(quantised_bpb - ours_bpb) / ours_bpb < 0.02
    assert gguf["q8_0"].stat().st_size < 0.5 * gguf["f32"].stat().st_size


def test_the_file_carries_the_chat_template_and_an_ollama_modelfile(demo):
    checkpoint, gguf = demo
    with LlamaCppModel(gguf["q8_0"], n_ctx=64) as llama:
        assert llama.metadata("tokenizer.chat_template") == CHAT_TEMPLATE
        assert llama.metadata("general.architecture") == "gemma3"
    modelfile = gguf["q8_0"].with_suffix(".Modelfile").read_text()
    assert modelfile.startswith("FROM ./demo_q8_0.gguf\n") and 'PARAMETER stop "<end_of_turn>"' in modelfile
    defaults = Sampling()  # the project's sampling defaults, as the CLI's
    assert f"PARAMETER temperature {defaults.temperature}\n" in modelfile
    assert f"PARAMETER repeat_penalty {defaults.repetition_penalty}\n" in modelfile


def test_llama_cpp_renders_a_conversation_as_our_chat_format(demo):
    checkpoint, gguf = demo
    messages = [{"role": "system", "content": "तुम एक सहायक हो।"}, {"role": "user", "content": "नमस्ते"},
                {"role": "assistant", "content": "नमस्ते! बताइए।"}, {"role": "user", "content": "kal movie chalein?"}]
    with LlamaCppModel(gguf["q8_0"], n_ctx=64) as llama:
        ids = llama.tokenize(llama.chat_prompt(messages))
    assert ids == render_chat(sentencepiece(checkpoint), messages, add_generation_prompt=True)[0]


def test_a_gemma3_270m_shaped_model_runs_the_same_in_llama_cpp(demo, tmp_path):
    checkpoint, _ = demo
    sp = sentencepiece(checkpoint)
    module = random_model(preset("gemma3-270m").with_vocab(sp.get_piece_size()))
    to_hf(module, tmp_path / "ckpt")
    shutil.copy(checkpoint / "tokenizer.model", tmp_path / "ckpt")
    assert main(["export-gguf", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "m.gguf"),
                 "--type", "f32"]) == 0
    ids = [sp.bos_id()] + sp.encode(LINES[0] + " " + LINES[1])
    with LlamaCppModel(tmp_path / "m.gguf", n_ctx=128, f32_cache=True) as llama:
        assert [llama.tokenize(line) for line in LINES] == [[sp.bos_id()] + sp.encode(line) for line in LINES]
        theirs = llama.logits(ids)
    ours = our_logits(module, ids)
    assert np.abs(theirs - ours).max() < LOGIT_TOLERANCE * np.abs(ours).max()


def test_a_checkpoint_without_its_tokenizer_is_a_clear_error(tmp_path, capsys):
    to_hf(random_model(preset("tiny")), tmp_path / "ckpt")
    assert main(["export-gguf", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "m.gguf")]) == 2
    assert "has no tokenizer.model" in capsys.readouterr().err
    assert not (tmp_path / "m.gguf").exists()


def test_a_tokenizer_larger_than_the_embedding_is_a_clear_error(demo, tmp_path, capsys):
    checkpoint, _ = demo
    to_hf(random_model(preset("tiny").with_vocab(128)), tmp_path / "ckpt")
    shutil.copy(checkpoint / "tokenizer.model", tmp_path / "ckpt")
    assert main(["export-gguf", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "m.gguf")]) == 2
    err = capsys.readouterr().err
    assert f"has {sentencepiece(checkpoint).get_piece_size()} pieces but the model's embedding only 128 rows" in err


def test_a_tokenizer_llama_cpp_would_not_reproduce_is_refused(tmp_path, capsys):
    checkpoint = make_checkpoint(tmp_path / "ckpt")  # sentencepiece's default nmt_nfkc normalisation
    assert main(["export-gguf", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "m.gguf")]) == 2
    assert "normalisation 'nmt_nfkc'" in capsys.readouterr().err
