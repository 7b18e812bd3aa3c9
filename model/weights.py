"""The model part of a checkpoint directory: `model.safetensors` + `model_config.json` (+ `tokenizer.model`).

The trainer writes its checkpoints with these two files beside its own state, so that `python -m model`
can generate from, and export, any checkpoint. A Hugging Face directory (config.json) loads too.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from model.config import ModelConfig
from model.gemma3 import Gemma3ForCausalLM

WEIGHTS, CONFIG = "model.safetensors", "model_config.json"


def write_safetensors(module: Gemma3ForCausalLM, path: Path, state_dict: dict | None = None) -> None:
    """The state dict (`state_dict` when given: a sharded model's gathered one), whose names are Hugging Face's
    already; the tied LM head is not stored twice."""
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in (state_dict or module.state_dict()).items()}
    save_file(state, str(path), metadata={"format": "pt"})


def save_model(module: Gemma3ForCausalLM, directory: str | Path, state_dict: dict | None = None) -> None:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(module, out / WEIGHTS, state_dict)
    (out / CONFIG).write_text(json.dumps(dataclasses.asdict(module.config), indent=2))


def load_model(directory: str | Path, attention: str = "auto") -> Gemma3ForCausalLM:
    """From our checkpoint layout, or from a Hugging Face Gemma 3 directory."""
    source = Path(directory)
    if not (source / CONFIG).exists():
        if (source / "config.json").exists():
            from model.hf import from_hf

            return from_hf(source, attention)
        raise FileNotFoundError(f"{source} has neither {CONFIG} (a checkpoint) nor config.json (Hugging Face)")
    fields = json.loads((source / CONFIG).read_text())
    config = ModelConfig(**{**fields, "layer_types": tuple(fields.get("layer_types", ()))})
    module = Gemma3ForCausalLM(config, attention=attention)
    module.load_state_dict(load_file(str(source / WEIGHTS)))
    return module
