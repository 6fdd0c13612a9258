"""Which worker this process is, when `kintern train --processes N` launched N of them.

The launcher (`launch.py`) starts the workers with torch's elastic launcher, which sets
RANK, LOCAL_RANK and WORLD_SIZE as torchrun does. A process started any other way is the
only worker (rank 0 of 1). Training's process group is set up by the Trainer (through
accelerate); `init` sets one up for work outside it (the `eval` recipe), and evaluation
uses `shard` and `gather` to split the questions across the workers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    """Rank 0: the worker that saves the checkpoint and writes the record."""
    return rank() == 0


def init(device: str) -> None:
    """Join the workers' process group (nccl on GPUs, gloo on the CPU) and pin this worker
    to its own GPU; nothing to do for a single process."""
    if world_size() == 1:
        return
    import torch
    import torch.distributed as dist

    if device == "cuda":
        torch.cuda.set_device(local_rank())
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")


def barrier() -> None:
    """Wait for every worker (after rank 0 saved the checkpoint the others will load)."""
    if world_size() == 1:
        return
    import torch.distributed as dist

    dist.barrier()


def shard(items: Sequence[T]) -> list[T]:
    """This worker's share of `items`: every world_size-th one, starting at its rank."""
    return list(items[rank() :: world_size()])


def gather(local: list[Any], total: int) -> list[Any]:
    """The inverse of `shard`: every worker's share, back in the original order, on every
    worker."""
    if world_size() == 1:
        return local
    import torch.distributed as dist

    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, local)
    merged: list[Any] = [None] * total
    for worker, part in enumerate(parts):
        merged[worker :: world_size()] = part
    return merged
