"""The generation batch comes from a memory budget, pinned here for Qwen3-1.7B on 80 GB.

The model's shape is read the way the trainer reads it (its config.json, parameters
counted on the meta device), from a config with Qwen3-1.7B's published sizes: nothing is
downloaded and no weights are built.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kintern_trainer.evaluation.budget import ModelShape, generation_batch, sequence_bytes
from kintern_trainer.modeling import model_shape

GB = 10**9
GIB = 2**30
QWEN3_1_7B = {
    "vocab_size": 151936,
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "tie_word_embeddings": True,
    "max_position_embeddings": 40960,
}
PROMPT_TOKENS = 384
NEW_TOKENS = 16000  # what generative suites allowed with a fixed batch of 64


@pytest.fixture(scope="module")
def qwen3(tmp_path_factory: pytest.TempPathFactory) -> ModelShape:
    from transformers import Qwen3Config

    path = tmp_path_factory.mktemp("qwen3-1.7b")
    Qwen3Config(**QWEN3_1_7B).save_pretrained(path)
    return model_shape(str(path), dtype_bytes=2)  # bf16


def test_qwen3_1_7b_holds_112_kib_of_kv_cache_per_token(qwen3: ModelShape) -> None:
    assert (qwen3.layers, qwen3.kv_heads, qwen3.head_dim) == (28, 8, 128)
    assert qwen3.kv_bytes_per_token == 2 * 28 * 8 * 128 * 2 == 112 * 1024
    assert qwen3.parameters == 1_720_574_976  # embeddings tied to the output layer
    assert qwen3.weight_bytes == 3_441_149_952


def test_the_old_fixed_batch_of_64_would_not_fit_on_an_80_gb_gpu(qwen3: ModelShape) -> None:
    tokens = PROMPT_TOKENS + NEW_TOKENS
    assert tokens * qwen3.kv_bytes_per_token == 1_879_048_192  # 1.75 GiB per sequence
    assert 64 * tokens * qwen3.kv_bytes_per_token == 112 * GIB
    assert 64 * tokens * qwen3.kv_bytes_per_token > 80 * GB


def test_qwen3_1_7b_on_80_gb_generates_36_sequences_of_16k_tokens_at_once(
    qwen3: ModelShape,
) -> None:
    tokens = PROMPT_TOKENS + NEW_TOKENS
    per_sequence = sequence_bytes(qwen3, tokens)
    assert per_sequence == 1_879_048_192 + 151936 * 4  # KV cache and an fp32 logits row
    # 90% of 80 GB = 72e9 bytes, less 3.44e9 of bf16 weights = 68.56e9 for sequences
    assert (72 * GB - 3_441_149_952) // per_sequence == 36
    assert generation_batch(qwen3, 80 * GB, tokens) == 36
    used = qwen3.weight_bytes + 36 * per_sequence
    assert used <= 0.9 * 80 * GB < used + per_sequence


def test_tensor_parallelism_splits_the_cache_and_weights_over_the_gpus(qwen3: ModelShape) -> None:
    tokens = PROMPT_TOKENS + NEW_TOKENS
    assert generation_batch(qwen3, 80 * GB, tokens, shards=8) == 303


@pytest.mark.parametrize(
    ("tokens", "memory", "expected"),
    [(1024, 80 * GB, 512), (PROMPT_TOKENS + NEW_TOKENS, 4 * GB, 1)],
    ids=["short-answers-hit-the-cap", "too-little-memory-still-one"],
)
def test_the_batch_stays_between_1_and_the_cap(
    qwen3: ModelShape, tokens: int, memory: int, expected: int
) -> None:
    assert generation_batch(qwen3, memory, tokens) == expected


def test_a_config_without_head_dim_uses_hidden_size_over_heads(tmp_path: Path) -> None:
    from transformers import LlamaConfig

    LlamaConfig(
        vocab_size=1000, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
        num_attention_heads=8, num_key_value_heads=2,
    ).save_pretrained(tmp_path)  # fmt: skip
    shape = model_shape(str(tmp_path), dtype_bytes=4)
    assert (shape.head_dim, shape.kv_heads, shape.kv_bytes_per_token) == (32, 2, 2 * 2 * 2 * 32 * 4)
