"""LoRA for SFT through `peft`: adapters on chosen projections, the base frozen, merged into the weights on save.

peft injects its layers into our module in place, so the loop, DDP and torch.compile see the same module as
without LoRA. A checkpoint's `model.safetensors` holds the merged weights (merged on a copy, so training goes on
with the unmerged ones bit for bit), which `python -m model` and the Hugging Face export read like any other;
`trainer_state.pt` holds the adapters, which a resumed run puts back on top of `init_from`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch

from model.gemma3 import Gemma3ForCausalLM
from pipeline.typed_config import ConfigError

if TYPE_CHECKING:  # peft imports transformers and accelerate: seconds, paid only by runs that use LoRA
    from peft import PeftModel

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def add_lora(module: Gemma3ForCausalLM, rank: int, alpha: float, targets: list[str]) -> PeftModel:
    """Adapters of `rank` on the `targets` projections of every layer; everything else frozen. Returns peft's
    wrapper (for merging and the adapters' state); `module` itself now runs with the adapters."""
    from peft import LoraConfig, get_peft_model

    unknown = sorted(set(targets) - set(PROJECTIONS))
    if unknown or not targets:
        raise ConfigError(f"lora_targets {unknown or targets} must be among {', '.join(PROJECTIONS)}")
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(targets), lora_dropout=0.0, bias="none")
    return get_peft_model(module, config)


def merged_state_dict(peft_model: PeftModel) -> dict[str, torch.Tensor]:
    """The base weights with the adapters added (W + B·A·alpha/r), under the plain model's names."""
    return copy.deepcopy(peft_model).merge_and_unload().state_dict()


def adapter_state(peft_model: PeftModel) -> dict[str, torch.Tensor]:
    from peft import get_peft_model_state_dict

    return {name: tensor.detach().cpu() for name, tensor in get_peft_model_state_dict(peft_model).items()}


def load_adapter_state(peft_model: PeftModel, state: dict[str, torch.Tensor]) -> None:
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(peft_model, state)
    if result.unexpected_keys:
        raise ConfigError(f"the checkpoint's adapters do not fit this model's ({result.unexpected_keys[:3]}): "
                         f"resume with the lora_rank and lora_targets it was trained with")
