"""How many sequences generation can keep in flight: a memory budget from the model's shape.

Generation memory is the weights plus the KV cache, and the KV cache grows with every
token in flight: per token, a key and a value vector per layer per KV head. For Qwen3-1.7B
(28 layers, 8 KV heads, head dim 128, bf16) that is 2 x 28 x 8 x 128 x 2 bytes = 112 KiB,
so one 16,000-token sequence holds 1.75 GiB and a fixed batch of 64 would need 112 GiB.
`generation_batch` divides the memory left after the weights (and a headroom for
activations and the allocator) by what one sequence of the longest length needs, so a
batch always fits. Both generation backends use it: transformers as its batch size, vLLM
as its `max_num_seqs` (vLLM pages its cache, so this is its concurrency limit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

HEADROOM = 0.9  # of device memory; the rest is for activations, the allocator and CUDA
LOGIT_BYTES = 4  # the next-token logits are computed in fp32, one row per sequence
MAX_BATCH = 512


@dataclass(frozen=True)
class ModelShape:
    """What decides a model's generation memory."""

    layers: int
    kv_heads: int
    head_dim: int
    vocab_size: int
    parameters: int
    dtype_bytes: int

    @classmethod
    def from_config(cls, config: Any, parameters: int, dtype_bytes: int) -> ModelShape:
        """From a transformers config (head dim given, or hidden size / attention heads)."""
        heads = config.num_attention_heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        return cls(
            layers=config.num_hidden_layers,
            kv_heads=getattr(config, "num_key_value_heads", None) or heads,
            head_dim=head_dim,
            vocab_size=config.vocab_size,
            parameters=parameters,
            dtype_bytes=dtype_bytes,
        )

    @property
    def kv_bytes_per_token(self) -> int:
        """A key and a value vector per layer per KV head."""
        return 2 * self.layers * self.kv_heads * self.head_dim * self.dtype_bytes

    @property
    def weight_bytes(self) -> int:
        return self.parameters * self.dtype_bytes


def sequence_bytes(shape: ModelShape, tokens: int, shards: int = 1) -> int:
    """One sequence of `tokens` (prompt and generated) on one of `shards` devices: its
    share of the KV cache (tensor parallelism splits the KV heads) and its logits row."""
    kv = shape.kv_bytes_per_token * tokens // shards
    return kv + shape.vocab_size * LOGIT_BYTES


def generation_batch(
    shape: ModelShape,
    device_bytes: int,
    tokens: int,
    shards: int = 1,
    headroom: float = HEADROOM,
    cap: int = MAX_BATCH,
) -> int:
    """Sequences of up to `tokens` tokens that fit on each of `shards` devices of
    `device_bytes` memory at once, next to the weights (at least 1, at most `cap`)."""
    free = device_bytes * headroom - shape.weight_bytes / shards
    fits = math.floor(free / sequence_bytes(shape, tokens, shards))
    return max(1, min(cap, fits))
