"""A Gemma 3 text decoder, readable top to bottom: norm, rotary embedding, attention, MLP, block, model.

Matches Hugging Face's `Gemma3ForCausalLM` (fp32 logits within 1e-4, tested), and keeps its parameter names
under `model.` so that conversion is a rename: embed_tokens, layers.N.self_attn.{q,k,v,o}_proj,
layers.N.self_attn.{q,k}_norm, layers.N.{input,post_attention,pre_feedforward,post_feedforward}_layernorm,
layers.N.mlp.{gate,up,down}_proj, norm. The LM head is the embedding matrix (tied).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from model.attention import BACKENDS, causal_attention, flex_agrees, flex_refusal
from model.config import ModelConfig
from model.errors import ModelInputError
from model.loss import fused_linear_cross_entropy
from model.rms_norm import RMSNorm


class RotaryEmbedding(nn.Module):
    """cos/sin for rotate-half RoPE at given positions, computed in fp32 exactly as Hugging Face does
    (no table: a few elementwise ops per forward, and no limit on positions)."""

    def __init__(self, head_dim: int, base: float, factor: float = 1.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
        inv_freq = inv_freq / factor  # linear scaling, as transformers' "linear" rope_type
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[..., None].float() * self.inv_freq  # (..., T, D/2)
        angles = torch.cat((freqs, freqs), dim=-1)
        return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return x * cos + rotate_half(x) * sin


class Attention(nn.Module):
    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        self.layer = layer
        self.num_heads, self.num_kv_heads, self.head_dim = config.num_heads, config.num_kv_heads, config.head_dim
        self.window = config.sliding_window if config.layer_types[layer] == "sliding" else None
        self.scale = config.query_pre_attn_scalar**-0.5
        d = config.hidden_size
        self.q_proj = nn.Linear(d, config.num_heads * config.head_dim, bias=False)
        self.k_proj = nn.Linear(d, config.num_kv_heads * config.head_dim, bias=False)
        self.v_proj = nn.Linear(d, config.num_kv_heads * config.head_dim, bias=False)
        self.o_proj = nn.Linear(config.num_heads * config.head_dim, d, bias=False)
        self.q_norm = RMSNorm(config.head_dim, config.rms_norm_eps)
        self.k_norm = RMSNorm(config.head_dim, config.rms_norm_eps)
        self.backend = "auto"

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache=None) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, t, self.num_heads, self.head_dim)).transpose(1, 2)  # (B, H, T, D)
        k = self.k_norm(self.k_proj(x).view(b, t, self.num_kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, Hkv, T, D)
        # the rotation runs in the tables' dtype, fp32 under autocast, while v comes out of a bf16 matmul:
        # attention kernels (FlexAttention above all) want one dtype
        q, k = apply_rope(q, cos, sin).to(v.dtype), apply_rope(k, cos, sin).to(v.dtype)
        if cache is None:
            y = causal_attention(q, k, v, self.scale, self.window, self.backend)
        else:
            y = cache.attend(self.layer, q, k, v, self.scale)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, -1))  # (B, T, C)


class GeGLU(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.gelu(self.gate_proj(x), approximate="tanh") * self.up_proj(x))


class Block(nn.Module):
    """Norms before and after both attention and MLP (Gemma 2/3 'sandwich' norms)."""

    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        eps = config.rms_norm_eps
        self.self_attn = Attention(config, layer)
        self.mlp = GeGLU(config)
        self.input_layernorm = RMSNorm(config.hidden_size, eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, eps)
        self.pre_feedforward_layernorm = RMSNorm(config.hidden_size, eps)
        self.post_feedforward_layernorm = RMSNorm(config.hidden_size, eps)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache=None) -> torch.Tensor:
        x = x + self.post_attention_layernorm(self.self_attn(self.input_layernorm(x), cos, sin, cache))
        return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))


class Gemma3Model(nn.Module):
    """Embeddings (scaled by √width), blocks, final norm."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(Block(config, i) for i in range(config.num_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.register_buffer("embed_scale", torch.tensor(config.hidden_size**0.5), persistent=False)
        self.rope = nn.ModuleDict({
            "sliding": RotaryEmbedding(config.head_dim, config.rope_local_base, config.rope_local_factor),
            "full": RotaryEmbedding(config.head_dim, config.rope_global_base, config.rope_global_factor),
        })
        self.layer_types = config.layer_types


class Gemma3ForCausalLM(nn.Module):
    def __init__(self, config: ModelConfig, attention: str = "auto"):
        super().__init__()
        self.config = config
        self.model = Gemma3Model(config)
        self.set_attention_backend(attention)
        self.reset_parameters()

    def set_attention_backend(self, backend: str) -> None:
        if backend not in BACKENDS:
            raise ModelInputError(f"attention backend {backend!r} is not one of {BACKENDS}")
        self.attention = backend
        for layer in self.model.layers:
            layer.self_attn.backend = backend

    def check_attention(self, length: int, dtype: torch.dtype | None = None) -> str:
        """The backend this model will use for sequences of `length` in `dtype` (default: its weights') on its
        device, after checking FlexAttention there against SDPA: "flex" where it disagrees is refused
        (ModelInputError), "auto" becomes sdpa. For a model about to be compiled, whose attention outputs are
        not checked from inside the graph (model/attention.py)."""
        weight = self.lm_head_weight
        dtype = dtype or weight.dtype
        c = self.config
        uses_flex = self.attention == "flex" or (self.attention == "auto" and weight.is_cuda)
        if not uses_flex or length <= c.sliding_window:  # flex only runs for windows shorter than the sequence
            return self.attention
        if flex_agrees(weight.device, dtype, c.num_heads, c.num_kv_heads, length, c.head_dim, c.sliding_window,
                       c.query_pre_attn_scalar**-0.5):
            return "flex"
        if self.attention == "flex":
            raise flex_refusal(weight.device, dtype)
        for layer in self.model.layers:
            layer.self_attn.backend = "sdpa"
        return "sdpa"

    def compile(self, *args, **kwargs) -> None:
        """Compiled after its attention backend is checked at a length past the window, in the autocast dtype
        if one is active, else the weights'."""
        device = self.lm_head_weight.device.type
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else None
        self.check_attention(2 * self.config.sliding_window, dtype)
        super().compile(*args, **kwargs)

    @torch.no_grad()
    def reset_parameters(self, std: float = 0.02) -> None:
        for name, param in self.named_parameters():
            if name.endswith("norm.weight"):
                param.zero_()  # (1 + w): the norms start as identity scales
            else:
                param.normal_(0.0, std)

    @property
    def lm_head_weight(self) -> torch.Tensor:
        return self.model.embed_tokens.weight  # tied

    def hidden_states(self, input_ids: torch.Tensor, positions: torch.Tensor | None = None, cache=None):
        """Final-norm hidden states (B, T, C); `positions` (B, T) and `cache` are for KV-cached decoding."""
        m = self.model
        x = m.embed_tokens(input_ids) * m.embed_scale.to(m.embed_tokens.weight.dtype)  # (B, T, C)
        if positions is None:
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        tables = {kind: rope(positions, x.dtype) for kind, rope in m.rope.items()}
        if positions.dim() == 2:  # per-sequence positions: broadcast over heads
            tables = {kind: (cos[:, None], sin[:, None]) for kind, (cos, sin) in tables.items()}
        for block, kind in zip(m.layers, m.layer_types, strict=True):
            x = block(x, *tables[kind], cache)
        return m.norm(x)

    def forward(self, input_ids: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids (B, T) → logits (B, T, V); with targets (B, T), the mean next-token cross-entropy instead,
        computed without materialising the logits (model/loss.py). The loss goes through forward so that DDP
        and FSDP see the call."""
        hidden = self.hidden_states(input_ids)  # (B, T, C)
        if targets is None:
            return F.linear(hidden, self.lm_head_weight)
        return fused_linear_cross_entropy(hidden, self.lm_head_weight, targets)

    def parameter_counts(self) -> dict[str, int]:
        embedding = self.model.embed_tokens.weight.numel()
        total = sum(p.numel() for p in self.parameters())
        return {"embedding": embedding, "non_embedding": total - embedding, "total": total}
