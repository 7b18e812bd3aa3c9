"""Keys and values kept between decoding steps.

Full-attention layers keep every column, in a buffer allocated once for the whole generation. Sliding layers
keep a ring of W slots (column c lives in slot c mod W), since no later query can see further back; keys are
cached after RoPE, so their order in the ring does not matter to attention.

Batched prompts are left-padded: sequence b's real tokens start at column pad[b]. Its positions (for RoPE)
count from there, and padding columns are masked out of every key set. Masks are built once per step for
each layer kind and shared by all layers of that kind; with no padding, decoding needs none.
"""

from __future__ import annotations

import torch

from model.attention import masked_attention
from model.config import ModelConfig


class KVCache:
    def __init__(self, config: ModelConfig, pad: torch.Tensor, max_columns: int, dtype: torch.dtype):
        """`pad` (B,): padding columns at the left of each prompt; `max_columns`: prompt + new tokens."""
        self.window = config.sliding_window
        self.pad = pad
        self.padded = bool(pad.any())
        self.length = 0  # columns written so far
        batch, device = pad.shape[0], pad.device
        self.keys, self.values = [], []
        for kind in config.layer_types:
            slots = max_columns if kind == "full" else min(self.window, max_columns)
            shape = (batch, config.num_kv_heads, slots, config.head_dim)
            self.keys.append(torch.zeros(shape, dtype=dtype, device=device))
            self.values.append(torch.zeros(shape, dtype=dtype, device=device))
        self.kinds = config.layer_types
        self.ring_columns = torch.full((min(self.window, max_columns),), -1, dtype=torch.long, device=device)
        self._masks: dict[str, torch.Tensor | None] = {}

    def positions(self, t: int) -> torch.Tensor:
        """(B, t) RoPE positions of the next t columns: counted from each sequence's first real token."""
        columns = torch.arange(self.length, self.length + t, device=self.pad.device)
        return (columns[None, :] - self.pad[:, None]).clamp(min=0)

    def prepare(self, t: int) -> None:
        """Build this step's masks (before the layers run). Decoding an unpadded batch needs none: full layers
        attend to every cached column, sliding layers to the ring (or its filled part)."""
        if t == 1 and not self.padded:
            self._masks = {"full": None, "sliding": None}
            return
        queries = torch.arange(self.length, self.length + t, device=self.pad.device)
        full_keys = torch.arange(self.length + t, device=self.pad.device)
        self._masks = {
            "full": self._mask(queries, full_keys, window=None, t=t),
            "sliding": self._mask(queries, self._sliding_key_columns(t), window=self.window, t=t),
        }

    def _sliding_key_columns(self, t: int) -> torch.Tensor:
        if t == 1:  # decoding writes the new column into the ring first, then attends to the ring
            ring = self.ring_columns.clone()
            ring[self.length % ring.numel()] = self.length
            return ring[: min(self.length + 1, ring.numel())]  # the filled part, as `attend` slices it
        new = torch.arange(self.length, self.length + t, device=self.pad.device)
        return torch.cat((self.ring_columns, new))  # prefill: old ring + the whole chunk

    def _mask(self, queries, keys, window: int | None, t: int) -> torch.Tensor | None:
        visible = (keys[None, :] <= queries[:, None]) & (keys[None, :] >= 0)  # (t, S)
        if window is not None:
            visible &= keys[None, :] > queries[:, None] - window
        visible = visible[None] & (keys[None, None, :] >= self.pad[:, None, None])  # (B, t, S)
        # a padding query sees only itself, so its (unused) row is never all -inf
        visible |= (queries[None, :, None] == keys[None, None, :]) & (queries[None, :, None] < self.pad[:, None, None])
        if t == 1 and bool(visible.all()):
            return None
        return visible[:, None]  # (B, 1, t, S)

    def attend(self, layer: int, q, k, v, scale: float) -> torch.Tensor:
        t = q.shape[-2]
        keys, values = self.keys[layer], self.values[layer]
        kind = self.kinds[layer]
        if kind == "full":
            keys[:, :, self.length : self.length + t] = k
            values[:, :, self.length : self.length + t] = v
            end = self.length + t
            return masked_attention(q, keys[:, :, :end], values[:, :, :end], scale, self._masks["full"])
        slots = keys.shape[2]
        if t == 1:
            slot = self.length % slots
            keys[:, :, slot : slot + 1] = k
            values[:, :, slot : slot + 1] = v
            filled = min(self.length + 1, slots)  # before the ring wraps, slots past the column are empty
            return masked_attention(q, keys[:, :, :filled], values[:, :, :filled], scale, self._masks["sliding"])
        out = masked_attention(q, torch.cat((keys, k), 2), torch.cat((values, v), 2), scale, self._masks["sliding"])
        kept = min(t, slots)  # only the last W columns can still be seen later
        columns = torch.arange(self.length + t - kept, self.length + t, device=q.device)
        keys[:, :, columns % slots] = k[:, :, -kept:]
        values[:, :, columns % slots] = v[:, :, -kept:]
        return out

    def advance(self, t: int) -> None:
        """After the layers ran: t more columns are cached."""
        slots = self.ring_columns.numel()
        kept = min(t, slots)
        columns = torch.arange(self.length + t - kept, self.length + t, device=self.pad.device)
        self.ring_columns[columns % slots] = columns
        self.length += t
