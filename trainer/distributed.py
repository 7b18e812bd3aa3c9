"""Everything about processes and parallelism, in one place: torchrun set-up, DDP or FSDP2, compile,
activation checkpointing. The model itself knows none of it."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.checkpoint import checkpoint


@dataclass(frozen=True)
class Processes:
    rank: int
    world_size: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def start(device: str) -> Processes:
    """One process, or torchrun's (RANK, WORLD_SIZE, LOCAL_RANK): gloo on CPU, NCCL on GPUs."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(chosen)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    return Processes(int(os.environ.get("RANK", "0")), world, chosen)


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def checkpoint_activations(module) -> None:
    """Recompute each block's activations in the backward pass instead of keeping them."""
    for block in module.model.layers:
        block.forward = functools.partial(checkpoint, block.forward, use_reentrant=False)


def parallelize(module, processes: Processes, kind: str, compile: bool):
    """The module to call in the training loop: compiled and wrapped for DDP, or sharded in place (FSDP2)."""
    if compile:
        module.compile()
    if not processes.distributed:
        return module
    if kind == "fsdp":
        from torch.distributed.fsdp import fully_shard

        for block in module.model.layers:
            fully_shard(block)
        fully_shard(module)
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[processes.device.index] if processes.device.type == "cuda"
                                   else None)


def mean_over_processes(value: torch.Tensor, processes: Processes) -> torch.Tensor:
    if processes.distributed:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.AVG if processes.device.type == "cuda" else dist.ReduceOp.SUM)
        if processes.device.type != "cuda":  # gloo has no AVG
            value /= processes.world_size
    return value


def barrier(processes: Processes) -> None:
    if processes.distributed:
        dist.barrier()


def any_process(flag: bool, processes: Processes) -> bool:
    if not processes.distributed:
        return flag
    value = torch.tensor([float(flag)], device=processes.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())
