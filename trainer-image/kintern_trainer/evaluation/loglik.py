"""Log-likelihood multiple choice: the choice whose text the model finds most likely.

Each choice is scored as the continuation of the cloze prompt by its mean log-probability
per token (so long choices are not penalised for their length), and the best one is the
model's answer. Called by `evaluation.evaluate` for suites of type `loglikelihood`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kintern_trainer.evaluation.prompts import cloze_continuation, cloze_prompt
from kintern_trainer.evaluation.questions import MCQuestion
from kintern_trainer.modeling import load_causal_lm, load_tokenizer

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

CPU_BATCH = 32
GPU_BATCH = 16


def choose(model_path: str, questions: Sequence[MCQuestion], device: str) -> list[int]:
    """The index of the most likely choice of each question."""
    tokenizer = load_tokenizer(model_path)
    model = load_causal_lm(model_path, device)
    pairs = [_encode(tokenizer, q.question, c) for q in questions for c in q.choices]
    scores = _mean_logprobs(model, pairs, tokenizer.pad_token_id, device)
    picks, at = [], 0
    for question in questions:
        block = scores[at : at + len(question.choices)]
        picks.append(max(range(len(block)), key=block.__getitem__))
        at += len(question.choices)
    return picks


def _encode(
    tokenizer: PreTrainedTokenizerBase, question: str, choice: str
) -> tuple[list[int], list[int]]:
    context = tokenizer(cloze_prompt(question))["input_ids"]
    continuation = tokenizer(cloze_continuation(choice), add_special_tokens=False)["input_ids"]
    return context, continuation


def _mean_logprobs(
    model: PreTrainedModel, pairs: list[tuple[list[int], list[int]]], pad_id: int, device: str
) -> list[float]:
    batch = GPU_BATCH if device == "cuda" else CPU_BATCH
    scores: list[float] = []
    for start in range(0, len(pairs), batch):
        scores.extend(_score_batch(model, pairs[start : start + batch], pad_id, device))
    return scores


def _score_batch(
    model: PreTrainedModel, pairs: list[tuple[list[int], list[int]]], pad_id: int, device: str
) -> list[float]:
    import torch

    width = max(len(c) + len(t) for c, t in pairs)
    ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, (context, continuation) in enumerate(pairs):
        seq = context + continuation
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    with torch.inference_mode():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
    return [_continuation_mean(logits[row], c, t) for row, (c, t) in enumerate(pairs)]


def _continuation_mean(logits: torch.Tensor, context: list[int], continuation: list[int]) -> float:
    """Mean log-probability of the continuation tokens (token i is predicted at i - 1)."""
    import torch

    start = len(context) - 1
    logprobs = torch.log_softmax(logits[start : start + len(continuation)].float(), dim=-1)
    targets = torch.tensor(continuation, device=logits.device)
    picked = logprobs[torch.arange(len(continuation), device=logits.device), targets]
    return float(picked.mean())
