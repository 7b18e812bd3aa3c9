"""What counts as a kernel agreeing with its reference, for the kernels the model checks before trusting them
(FlexAttention against SDPA in model/attention.py, compiled decoding against eager in model/generate.py): both
were found wrong on some CPUs (torch 2.13 on AVX2 kernels: NaN, or 0.34-2.8 off)."""

from __future__ import annotations

import torch

# largest difference from the reference, relative to the largest value it compares, that still counts as the same
# computation: fp32 kernels differ by ~1e-6, bf16 rounds at ~4e-3
TOLERANCE = {torch.float64: 1e-6, torch.float32: 1e-3}
TOLERANCE_HALF = 5e-2


def agrees(difference: float, dtype: torch.dtype) -> bool:
    """A relative difference within the dtype's tolerance (NaN never is)."""
    return difference <= TOLERANCE.get(dtype, TOLERANCE_HALF)


def where(device: torch.device) -> str:
    """The device and, on a CPU, the kernels torch dispatches to ("cpu, AVX2 kernels"), for a refusal's message."""
    return f"cpu, {torch.backends.cpu.get_cpu_capability()} kernels" if device.type == "cpu" else device.type
