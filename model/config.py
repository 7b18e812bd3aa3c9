"""Model presets as frozen dataclasses. `gemma3-270m` is the seeds' configuration; `tiny` is for tests."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from model.errors import ModelInputError

VOCAB_MULTIPLE = 128  # embedding rows padded to this, so matmuls on the LM head stay aligned


def pad_vocab(vocab_size: int, multiple: int = VOCAB_MULTIPLE) -> int:
    return -(-vocab_size // multiple) * multiple


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 50_048  # the tokenizer's 50,000 pieces padded to a multiple of 128
    hidden_size: int = 640
    intermediate_size: int = 2048  # GeGLU (tanh GELU gate)
    num_layers: int = 18
    num_heads: int = 4
    num_kv_heads: int = 1
    head_dim: int = 256
    query_pre_attn_scalar: int = 256  # attention scale = this ** -0.5
    sliding_window: int = 512
    full_attention_every: int = 6  # layers 5, 11, 17 (0-based) attend to everything
    rope_local_base: float = 10_000.0
    rope_global_base: float = 1_000_000.0
    # linear RoPE scaling ("rope_type": "linear" in Hugging Face's config): positions divided by the factor
    rope_local_factor: float = 1.0
    rope_global_factor: float = 1.0
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 32_768
    pad_token_id: int = 0
    eos_token_id: int = 1
    bos_token_id: int = 2
    layer_types: tuple[str, ...] = field(default=())  # derived unless given: "sliding" or "full" per layer

    def __post_init__(self) -> None:
        if not self.layer_types:
            types = tuple(
                "full" if (i + 1) % self.full_attention_every == 0 else "sliding" for i in range(self.num_layers)
            )
            object.__setattr__(self, "layer_types", types)
        if len(self.layer_types) != self.num_layers or set(self.layer_types) - {"sliding", "full"}:
            raise ModelInputError(f"layer_types must give 'sliding' or 'full' for each of {self.num_layers} layers")
        if self.num_heads % self.num_kv_heads:
            raise ModelInputError(f"num_heads {self.num_heads} is not a multiple of num_kv_heads {self.num_kv_heads}")

    def with_vocab(self, tokenizer_vocab: int) -> ModelConfig:
        """This preset for a tokenizer of `tokenizer_vocab` pieces (rounded up to a multiple of 128)."""
        return replace(self, vocab_size=pad_vocab(tokenizer_vocab))


PRESETS: dict[str, ModelConfig] = {
    "gemma3-270m": ModelConfig(),
    # CPU experiments and benchmarks: 4 layers of width 256, the last one full; 5.9M parameters at vocab 8192
    "small": ModelConfig(
        vocab_size=8192,
        hidden_size=256,
        intermediate_size=1024,
        num_layers=4,
        num_heads=4,
        num_kv_heads=1,
        head_dim=64,
        query_pre_attn_scalar=64,
        sliding_window=64,
        full_attention_every=4,
        max_position_embeddings=8192,
    ),
    # CPU ablations (configs/ablation_cpu.yaml): width 128, 4 layers; 2.0M parameters at vocab 8,000 (half of them
    # the embedding), ~3x the training tokens per second of `small`, so ten seeded runs fit in minutes on 2 cores
    "mini": ModelConfig(
        vocab_size=8192,
        hidden_size=128,
        intermediate_size=512,
        num_layers=4,
        num_heads=4,
        num_kv_heads=1,
        head_dim=32,
        query_pre_attn_scalar=32,
        sliding_window=128,
        full_attention_every=4,
        max_position_embeddings=2048,
    ),
    "tiny": ModelConfig(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=128,
        num_layers=4,
        num_heads=4,
        num_kv_heads=1,
        head_dim=16,
        query_pre_attn_scalar=16,
        sliding_window=8,
        full_attention_every=2,
        max_position_embeddings=2048,
    ),
}


def preset(name: str) -> ModelConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelInputError(f"no model preset {name!r}; presets: {', '.join(PRESETS)}") from None
