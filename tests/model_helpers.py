"""Random-weight models for the model tests (norm weights random too, so (1 + w) is really exercised)."""

import torch

from model.config import ModelConfig
from model.gemma3 import Gemma3ForCausalLM


def random_model(config: ModelConfig, seed: int = 0, norm_std: float = 0.5) -> Gemma3ForCausalLM:
    torch.manual_seed(seed)
    module = Gemma3ForCausalLM(config).eval()
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name.endswith("norm.weight"):
                param.normal_(0.0, norm_std)
    return module
