"""Our Gemma 3 against transformers' Gemma3ForCausalLM: same logits (fp32, ≤ 1e-4), both directions."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import Gemma3ForCausalLM as HFGemma3

import model.gemma3
from model.attention import causal_attention
from model.config import preset
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.hf import from_hf, to_hf
from tests.model_helpers import random_model

TOLERANCE = 1e-4


def hf_logits(directory, ids):
    reference = HFGemma3.from_pretrained(directory, attn_implementation="eager").eval()
    with torch.no_grad():
        return reference(ids).logits


@pytest.mark.parametrize("name, length", [("tiny", 40), ("gemma3-270m", 530)])
def test_to_hf_gives_transformers_the_same_logits_past_the_window(tmp_path, name, length):
    config = preset(name)
    assert length > config.sliding_window
    ours = random_model(config)
    ids = torch.randint(0, config.vocab_size, (1, length))
    to_hf(ours, tmp_path)
    with torch.no_grad():
        difference = (ours(ids) - hf_logits(tmp_path, ids)).abs().max().item()
    assert difference <= TOLERANCE


@pytest.mark.parametrize("name, length", [("tiny", 37), ("gemma3-270m", 530)])
def test_from_hf_reads_a_transformers_checkpoint_with_the_same_logits(tmp_path, name, length):
    config = preset(name)
    assert length > config.sliding_window
    reference = HFGemma3(_hf_config(config)).eval()
    with torch.no_grad():
        for param_name, param in reference.named_parameters():
            param.normal_(0.0, 0.5 if param_name.endswith("norm.weight") else 0.05)
    reference.save_pretrained(tmp_path)
    ids = torch.randint(0, config.vocab_size, (1, length))
    with torch.no_grad():
        difference = (from_hf(tmp_path)(ids) - reference(ids).logits).abs().max().item()
    assert difference <= TOLERANCE


def scaled_reference(tmp_path, rope_scaling):
    config = preset("tiny")
    reference = HFGemma3(_hf_config(config, rope_scaling=rope_scaling)).eval()
    with torch.no_grad():
        for param_name, param in reference.named_parameters():
            param.normal_(0.0, 0.5 if param_name.endswith("norm.weight") else 0.05)
    reference.save_pretrained(tmp_path)
    return reference


@pytest.mark.parametrize("written_as", ["rope_parameters", "rope_scaling"])
def test_from_hf_applies_linear_rope_scaling_as_transformers_does(tmp_path, written_as):
    reference = scaled_reference(tmp_path, {"rope_type": "linear", "factor": 8.0})
    config_file = tmp_path / "config.json"
    if written_as == "rope_scaling":  # as configs written before transformers 5 (Gemma 3 4B and up) have it
        data = json.loads(config_file.read_text())
        data.pop("rope_parameters")
        config_file.write_text(json.dumps(data | {"rope_scaling": {"rope_type": "linear", "factor": 8.0}}))
    ids = torch.randint(0, preset("tiny").vocab_size, (1, 40))
    ours = from_hf(tmp_path)
    assert ours.config.rope_global_factor == 8.0 and ours.config.rope_local_factor == 1.0
    with torch.no_grad():
        expected = reference(ids).logits
        assert (ours(ids) - expected).abs().max().item() <= TOLERANCE
        unscaled = HFGemma3(_hf_config(preset("tiny"))).eval()
        unscaled.load_state_dict(reference.state_dict())
        assert (unscaled(ids).logits - expected).abs().max().item() > 100 * TOLERANCE  # the scaling matters here
    to_hf(ours, tmp_path / "again")
    assert from_hf(tmp_path / "again").config == ours.config


def test_rope_scaling_other_than_linear_is_refused_naming_the_field(tmp_path):
    scaled_reference(tmp_path, {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 1024})
    with pytest.raises(ModelInputError, match="rope_parameters.full_attention has rope_type 'yarn'"):
        from_hf(tmp_path)


def test_from_hf_reads_gemma3s_own_262144_piece_vocabulary(tmp_path):
    # the uint16 limit belongs to the shards, not to the model: a real Gemma 3 loads
    config = dataclasses.replace(preset("tiny"), vocab_size=262_144)
    reference = HFGemma3(_hf_config(config)).eval()
    reference.save_pretrained(tmp_path)
    ids = torch.tensor([[2, 70_000, 262_143, 5, 131_072]])
    with torch.no_grad():
        difference = (from_hf(tmp_path)(ids) - reference(ids).logits).abs().max().item()
    assert difference <= TOLERANCE


@pytest.mark.parametrize("name", ["tiny", "small"])
def test_a_round_trip_keeps_every_weight_and_the_config(tmp_path, name):
    ours = random_model(preset(name))
    loaded = from_hf(to_hf(ours, tmp_path / "hf"))
    assert loaded.config == ours.config
    for (key, a), b in zip(ours.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), key


def test_soft_capped_checkpoints_are_refused(tmp_path):
    import json

    to_hf(random_model(preset("tiny")), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config | {"final_logit_softcapping": 30.0}))
    with pytest.raises(ValueError, match="soft-capping"):
        from_hf(tmp_path)


@pytest.mark.parametrize("backend", ["reference", "flex"])
def test_attention_backends_agree_with_sdpa(backend):
    config = preset("tiny")
    ours = random_model(config)
    ids = torch.randint(0, config.vocab_size, (2, 3 * config.sliding_window))
    with torch.no_grad():
        expected = ours(ids)
        ours.set_attention_backend(backend)
        if backend == "flex" and not flex_works_here(ours, ids.shape[1]):
            with pytest.raises(ModelInputError, match="'flex' gives wrong results on this machine"):
                ours(ids)
            return
        assert (ours(ids) - expected).abs().max().item() <= 1e-5


def flex_works_here(module, length: int) -> bool:
    """Whether CPU FlexAttention agrees with SDPA on this machine (not on AVX2-only CPUs with torch 2.13)."""
    try:
        return module.check_attention(length) == "flex"
    except ModelInputError:
        return False


# the AVX2 kernels on any x86 machine: CPU FlexAttention was NaN or 0.4-0.75 off there, and trained on garbage
AVX2_ONLY = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "PYTHONPATH": str(Path(__file__).parents[1])}
FLEX_ON_AVX2 = """
import torch
from model.config import preset
from model.errors import ModelInputError
from model.errors import ModelInputError
from tests.model_helpers import random_model
config = preset("tiny")
module = random_model(config)
ids = torch.randint(0, config.vocab_size, (2, 3 * config.sliding_window))
with torch.no_grad():
    expected = module(ids)
    module.set_attention_backend("flex")
    try:
        difference = (module(ids) - expected).abs().max().item()
    except ModelInputError as error:
        print("refused:", error)
    else:
        print("difference:", difference)
"""


def test_flex_attention_on_avx2_kernels_is_right_or_refused():
    run = subprocess.run([sys.executable, "-c", FLEX_ON_AVX2], env=AVX2_ONLY,
                         capture_output=True, text=True, timeout=600, check=True)
    verdict = run.stdout.strip().splitlines()[-1]
    if verdict.startswith("refused:"):
        assert "use attention: sdpa" in verdict
    else:
        assert float(verdict.removeprefix("difference:")) <= 1e-5


def test_attention_gets_one_dtype_under_bf16_autocast(monkeypatch):
    seen = []

    def recording(q, k, v, *args):
        seen.append((q.dtype, k.dtype, v.dtype))
        return causal_attention(q, k, v, *args)

    monkeypatch.setattr(model.gemma3, "causal_attention", recording)
    config = preset("tiny")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        random_model(config)(torch.randint(0, config.vocab_size, (1, 2 * config.sliding_window)))
    assert seen == [(torch.bfloat16,) * 3] * config.num_layers  # rotated q, k not left in fp32


def test_a_compiled_model_with_flex_attention_compiles_once():
    # the block-mask cache once made dynamo guard on it: a second compile of the whole model at the second step
    config = preset("tiny")
    module = random_model(config)
    module.set_attention_backend("flex")
    if not flex_works_here(module, 2 * config.sliding_window):
        with pytest.raises(ModelInputError, match="'flex' gives wrong results on this machine"):
            module.compile()  # checked before it is compiled: inside the graph no output is checked
        return
    module.compile()
    ids = torch.randint(0, config.vocab_size, (2, 3 * config.sliding_window))
    torch._dynamo.reset()
    with torch.no_grad(), torch._dynamo.config.patch(error_on_recompile=True):  # CPU FlexAttention: no backward
        first, second = module(ids), module(ids)
    assert torch.equal(first, second)


def test_the_270m_preset_has_the_seeds_shape():
    config = preset("gemma3-270m")
    assert [i for i, kind in enumerate(config.layer_types) if kind == "full"] == [5, 11, 17]
    assert (config.num_layers, config.hidden_size, config.num_heads, config.num_kv_heads, config.head_dim) == (
        18, 640, 4, 1, 256)
    assert config.vocab_size % 128 == 0 and config.with_vocab(50_000).vocab_size == 50_048
    counts = Gemma3ForCausalLM(config).parameter_counts()
    assert counts["embedding"] == 50_048 * 640
    assert counts["non_embedding"] == 100_326_016


def _hf_config(config, rope_scaling=None):
    from transformers import Gemma3TextConfig

    from model.hf import hf_config

    settings = {k: v for k, v in hf_config(config).items() if k not in ("architectures", "torch_dtype")}
    if rope_scaling:  # transformers' own way in: it puts the scaling on the full-attention layers
        del settings["rope_parameters"]
        settings["rope_scaling"] = rope_scaling
    return Gemma3TextConfig(**settings)
