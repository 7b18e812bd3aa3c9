"""The one model format: a Hugging Face `Gemma3ForCausalLM` directory (config.json + model.safetensors, and the
tokenizer files). The trainer's checkpoints, `export-hf` and every command that reads a model use it.

`to_hf(module, dir)` writes what `transformers.Gemma3ForCausalLM.from_pretrained(dir)` loads with the same
logits; `from_hf(dir)` builds our model from such a directory (a checkpoint, an export, or a Gemma 3 text model).
The parameter names are the same under `model.`, so conversion is a rename plus the config.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sentencepiece as spm
from safetensors.torch import load_file, save_file

from model.chat_format import CHAT_TEMPLATE
from model.config import ModelConfig
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM

TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def hf_config(config: ModelConfig) -> dict:
    """config.json of a Gemma 3 text model with our settings."""
    return {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.head_dim,
        "hidden_activation": "gelu_pytorch_tanh",
        "query_pre_attn_scalar": config.query_pre_attn_scalar,
        "sliding_window": config.sliding_window,
        "layer_types": [f"{kind}_attention" for kind in config.layer_types],
        "sliding_window_pattern": config.full_attention_every,
        "rope_theta": config.rope_global_base,
        "rope_local_base_freq": config.rope_local_base,
        "rope_parameters": {
            "full_attention": {"rope_type": "default", "rope_theta": config.rope_global_base},
            "sliding_attention": {"rope_type": "default", "rope_theta": config.rope_local_base},
        },
        "rms_norm_eps": config.rms_norm_eps,
        "max_position_embeddings": config.max_position_embeddings,
        "pad_token_id": config.pad_token_id,
        "eos_token_id": config.eos_token_id,
        "bos_token_id": config.bos_token_id,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "final_logit_softcapping": None,
        "attn_logit_softcapping": None,
        "torch_dtype": "float32",
    }


def config_from_hf(data: dict, source: str) -> ModelConfig:
    if data.get("model_type") not in ("gemma3_text", "gemma3"):
        raise ModelInputError(f"{source}: model_type {data.get('model_type')!r} is not a Gemma 3 text model")
    if data.get("model_type") == "gemma3":
        data = data["text_config"]
    for capped in ("final_logit_softcapping", "attn_logit_softcapping"):
        if data.get(capped) is not None:
            raise ModelInputError(
                f"{source}: {capped}={data[capped]} is not supported (this model has no soft-capping)")
    rope = data.get("rope_parameters") or {}
    layer_types = tuple(t.removesuffix("_attention") for t in data["layer_types"]) if data.get("layer_types") else ()
    return ModelConfig(
        vocab_size=data["vocab_size"],
        hidden_size=data["hidden_size"],
        intermediate_size=data["intermediate_size"],
        num_layers=data["num_hidden_layers"],
        num_heads=data["num_attention_heads"],
        num_kv_heads=data["num_key_value_heads"],
        head_dim=data["head_dim"],
        query_pre_attn_scalar=data.get("query_pre_attn_scalar", data["head_dim"]),
        sliding_window=data["sliding_window"],
        rope_local_base=rope.get("sliding_attention", {}).get("rope_theta", data.get("rope_local_base_freq", 10_000.0)),
        rope_global_base=rope.get("full_attention", {}).get("rope_theta", data.get("rope_theta", 1_000_000.0)),
        rms_norm_eps=data.get("rms_norm_eps", 1e-6),
        max_position_embeddings=data.get("max_position_embeddings", 32_768),
        pad_token_id=data.get("pad_token_id", 0),
        eos_token_id=_first(data.get("eos_token_id", 1)),
        bos_token_id=data.get("bos_token_id", 2),
        full_attention_every=data.get("sliding_window_pattern", 6),
        layer_types=layer_types,
    )


def _first(value):
    return value[0] if isinstance(value, list) else value


def write_safetensors(module: Gemma3ForCausalLM, path: Path, state_dict: dict | None = None) -> None:
    """The state dict (`state_dict` when given: a sharded model's gathered one), whose names are Hugging Face's
    already; the tied LM head is not stored twice."""
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in (state_dict or module.state_dict()).items()}
    save_file(state, str(path), metadata={"format": "pt"})


def to_hf(module: Gemma3ForCausalLM, directory: str | Path, tokenizer_dir: str | Path | None = None,
          state_dict: dict | None = None) -> Path:
    """Write `module` (or its gathered `state_dict`) as a Hugging Face Gemma 3 text model; copies the tokenizer
    files from `tokenizer_dir`."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(module, out / "model.safetensors", state_dict)
    (out / "config.json").write_text(json.dumps(hf_config(module.config), indent=2))
    generation = {"bos_token_id": module.config.bos_token_id, "eos_token_id": module.config.eos_token_id,
                  "pad_token_id": module.config.pad_token_id}
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2))
    if tokenizer_dir:
        copy_tokenizer_files(tokenizer_dir, out)
    return out


def copy_tokenizer_files(tokenizer_dir: str | Path, out: str | Path) -> None:
    """The tokenizer's files into a model directory, its tokenizer_config.json with the model's chat template: the
    turn format is the model's, so the tokenizer folder has none and every checkpoint or export carries it."""
    for name in TOKENIZER_FILES:
        if (Path(tokenizer_dir) / name).exists():
            shutil.copy(Path(tokenizer_dir) / name, Path(out) / name)
    config_file = Path(out) / "tokenizer_config.json"
    if config_file.exists():
        config = json.loads(config_file.read_text()) | {"chat_template": CHAT_TEMPLATE}
        config_file.write_text(json.dumps(config, indent=2))


def from_hf(directory: str | Path, attention: str = "auto") -> Gemma3ForCausalLM:
    """Our model from a Hugging Face Gemma 3 text directory (fp32)."""
    source = Path(directory)
    config_file = source / "config.json"
    if not config_file.exists():
        raise FileNotFoundError(f"{config_file} does not exist: {source} is not a checkpoint or Hugging Face model "
                                f"directory")
    config = config_from_hf(json.loads(config_file.read_text()), str(config_file))
    state = {}
    for shard in sorted(source.glob("*.safetensors")):
        state |= load_file(str(shard))
    if not state:
        raise FileNotFoundError(f"{source} holds no *.safetensors weights")
    state.pop("lm_head.weight", None)  # tied to model.embed_tokens.weight
    module = Gemma3ForCausalLM(config, attention=attention)
    missing, unexpected = module.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    if missing or unexpected:
        raise ModelInputError(
            f"{source}: weights do not fit the config (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )
    return module




def tokenizer_of(checkpoint: str | Path, tokenizer: str | Path | None = None) -> spm.SentencePieceProcessor:
    """The SentencePiece model a checkpoint directory carries, or `tokenizer` when given."""
    path = Path(tokenizer or Path(checkpoint) / "tokenizer.model")
    if not path.exists():
        raise FileNotFoundError(f"no tokenizer at {path}: pass --tokenizer FILE.model")
    return spm.SentencePieceProcessor(model_file=str(path))
