"""Held-out preference pairs of the toy task and what a model thinks of them (for DPO tests).

A pair is a held-out question's cloze prompt, its right answer (chosen) and one wrong
choice (rejected). `log_likelihoods` gives each continuation's summed log-probability;
from a policy's and its reference's, `margins` gives DPO's implicit reward margins,
beta * ((log pi(c) - log ref(c)) - (log pi(r) - log ref(r))).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean, stdev

from kintern_trainer.evaluation.prompts import cloze_continuation, cloze_prompt
from kintern_trainer.evaluation.stats import Z_95


@dataclass(frozen=True)
class Pair:
    prompt: str
    chosen: str
    rejected: str


@dataclass(frozen=True)
class Mean:
    """A mean with its 95% interval (normal approximation, fine for n in the hundreds)."""

    value: float
    ci_low: float
    ci_high: float
    n: int


def held_out_pairs(eval_path: Path) -> list[Pair]:
    pairs = []
    for line in eval_path.read_text().splitlines():
        row = json.loads(line)
        right = row["choices"][row["answer"]]
        wrong = next(c for i, c in enumerate(row["choices"]) if i != row["answer"])
        pairs.append(
            Pair(
                cloze_prompt(row["question"]), cloze_continuation(right), cloze_continuation(wrong)
            )
        )
    return pairs


def log_likelihoods(model_path: str, pairs: list[Pair]) -> list[tuple[float, float]]:
    """(log p(chosen | prompt), log p(rejected | prompt)) of each pair, summed over tokens."""
    import torch

    from kintern_trainer.modeling import load_causal_lm, load_tokenizer

    tokenizer = load_tokenizer(model_path)
    model = load_causal_lm(model_path, "cpu")
    scores = []
    with torch.inference_mode():
        for pair in pairs:
            prompt = tokenizer(pair.prompt)["input_ids"]
            both = [
                _sum_logprob(model, tokenizer, prompt, text)
                for text in (pair.chosen, pair.rejected)
            ]
            scores.append((both[0], both[1]))
    return scores


def _sum_logprob(model, tokenizer, prompt: list[int], continuation: str) -> float:
    import torch

    tokens = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt + tokens])
    logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
    start = len(prompt) - 1
    return float(sum(logprobs[start + i, t] for i, t in enumerate(tokens)))


def prefers_chosen(scores: list[tuple[float, float]]) -> int:
    """How many pairs the model itself ranks the right way (chosen more likely)."""
    return sum(chosen > rejected for chosen, rejected in scores)


def margins(
    policy: list[tuple[float, float]], reference: list[tuple[float, float]], beta: float
) -> list[float]:
    return [
        beta * ((pc - rc) - (pr - rr)) for (pc, pr), (rc, rr) in zip(policy, reference, strict=True)
    ]


def mean_interval(values: list[float]) -> Mean:
    mean = fmean(values)
    half = Z_95 * stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.inf
    return Mean(mean, mean - half, mean + half, len(values))
