"""Diagnosis from training logs (table-driven on log histories shaped like TRL's)."""

from __future__ import annotations

import math

import pytest
import torch

from kintern_trainer.diagnosis import diagnose, is_failure, is_out_of_memory


def sft_log(*losses: float, grad_norm: float = 1.0) -> list[dict[str, float]]:
    logs = [{"loss": v, "grad_norm": grad_norm, "step": i + 1} for i, v in enumerate(losses)]
    return [*logs, {"train_runtime": 1.0, "train_loss": 1.0, "step": len(losses)}]


def grpo_log(n: int, reward_std: float, zero_std: float, entropy: float) -> list[dict[str, float]]:
    return [
        {
            "loss": 0.0,
            "reward": 0.5,
            "reward_std": reward_std,
            "frac_reward_zero_std": zero_std,
            "entropy": entropy,
            "step": i + 1,
        }
        for i in range(n)
    ]


CASES = [
    ("healthy sft", sft_log(3.0, 2.5, 2.1, 1.8, 1.6, 1.5), "sft", "ok"),
    ("nan loss", sft_log(3.0, 2.5, math.nan), "sft", "nan_loss"),
    ("inf grad norm", [{"loss": 2.0, "grad_norm": math.inf, "step": 1}], "dpo", "nan_loss"),
    (
        "loss climbs back up",
        sft_log(3.0, 2.0, 1.0, 0.9, 1.0, 2.5, 3.5, 4.0, 4.5, 5.0),
        "sft",
        "divergence",
    ),
    (
        "loss blows up and never recovers",
        sft_log(6.6, 92.0, 40.0, 30.0, 21.0, 9.0, 7.6),
        "sft",
        "divergence",
    ),
    ("spikes then recovers", sft_log(6.7, 58.8, 24.0, 13.0, 9.0, 5.2, 3.9), "sft", "divergence"),
    ("fine-tuning wobble", sft_log(1.2, 1.9, 1.4, 1.1, 1.0, 0.9, 0.95), "sft", "ok"),
    ("noisy but fine", sft_log(3.0, 3.2, 2.8, 2.9, 2.7, 2.75, 2.6), "sft", "ok"),
    ("grpo learning", grpo_log(9, reward_std=0.4, zero_std=0.2, entropy=1.2), "grpo", "ok"),
    (
        "grpo zero-std groups",
        grpo_log(9, reward_std=0.05, zero_std=1.0, entropy=1.0),
        "grpo",
        "reward_collapse",
    ),
    (
        "grpo constant reward",
        grpo_log(9, reward_std=0.0, zero_std=0.5, entropy=1.0),
        "grpo",
        "reward_collapse",
    ),
    (
        "grpo entropy collapse",
        grpo_log(9, reward_std=0.3, zero_std=0.3, entropy=0.01),
        "grpo",
        "reward_collapse",
    ),
    (
        "grpo loss is not checked for divergence",
        grpo_log(3, 0.4, 0.1, 1.0) + sft_log(0.1, 5, 9, 12),
        "grpo",
        "ok",
    ),
    ("empty history", [], "sft", "ok"),
]


@pytest.mark.parametrize(
    ("history", "recipe", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_diagnose_logs(history: list[dict[str, float]], recipe: str, kind: str) -> None:
    diagnosis = diagnose(history, recipe)
    assert diagnosis.kind == kind
    if kind != "ok":
        assert diagnosis.evidence and diagnosis.advice


def test_nan_evidence_names_the_step_and_last_good_loss() -> None:
    diagnosis = diagnose(sft_log(3.0, 2.5, math.nan), "sft")
    assert "step 3" in diagnosis.evidence and "loss=nan" in diagnosis.evidence
    assert "2.5 at step 2" in diagnosis.evidence
    assert is_failure(diagnosis)


def test_divergence_and_collapse_are_warnings_not_failures() -> None:
    assert not is_failure(diagnose(sft_log(6.6, 92.0, 40.0, 30.0, 21.0, 9.0, 7.6), "sft"))
    assert not is_failure(diagnose(grpo_log(9, 0.0, 1.0, 1.0), "grpo"))


@pytest.mark.parametrize(
    "error",
    [
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"
        ),
        MemoryError(),
    ],
    ids=["cuda", "cpu allocator", "python"],
)
def test_out_of_memory(error: BaseException) -> None:
    assert is_out_of_memory(error)
    diagnosis = diagnose(sft_log(3.0, 2.9), "sft", error)
    assert diagnosis.kind == "out_of_memory" and "batchSize" in diagnosis.advice
    assert is_failure(diagnosis)


def test_other_errors_are_reported_with_their_message() -> None:
    diagnosis = diagnose([], "sft", ValueError("bad shape (3, 4)"))
    assert diagnosis.kind == "error" and "bad shape (3, 4)" in diagnosis.evidence
