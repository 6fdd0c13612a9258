"""Greedy generation for generative suites: vLLM when it is installed and a GPU is there,
transformers `generate` otherwise (always on the CPU, and in the tests).

Both take their batch from the memory budget (`budget.generation_batch`) for the longest
prompt plus `max_new_tokens`. With several workers (a multi-GPU run), vLLM splits the
model over all of their GPUs (tensor parallel, every worker taking part as vLLM's
external launcher), and transformers gives each worker its share of the prompts.
Called by `evaluation.evaluate`; returns one completion per prompt, in prompt order.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kintern_trainer import distributed
from kintern_trainer.errors import EvalDataError
from kintern_trainer.evaluation.budget import HEADROOM, MAX_BATCH, ModelShape, generation_batch
from kintern_trainer.modeling import (
    device_memory,
    load_causal_lm,
    load_tokenizer,
    model_dtype,
    model_shape,
)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

CPU_BATCH = 8  # more gains nothing on a few cores


def pick_backend(device: str) -> str:
    """`vllm` when it can run here, else `transformers`."""
    if device == "cuda" and importlib.util.find_spec("vllm") is not None:
        return "vllm"
    return "transformers"


def generate(
    model_path: str,
    prompts: Sequence[str],
    max_new_tokens: int,
    device: str,
    chat_template: bool = False,
    backend: str | None = None,
) -> list[str]:
    """Greedy completions (temperature 0), decoded without the prompt; with `chat_template`
    each prompt is first wrapped as a user message in the model's chat template. `backend`
    (vllm or transformers) overrides `pick_backend`, for the benchmark."""
    if chat_template:
        prompts = apply_chat_template(model_path, prompts)
    if (backend or pick_backend(device)) == "vllm":
        return _generate_vllm(model_path, prompts, max_new_tokens, device)
    mine = distributed.shard(prompts)
    texts = _generate_transformers(model_path, mine, max_new_tokens, device)
    return distributed.gather(texts, len(prompts))


def batch_for(shape: ModelShape, device: str, tokens: int, shards: int = 1) -> int:
    """The generation batch on `device` for sequences of up to `tokens` tokens."""
    cap = CPU_BATCH if device == "cpu" else MAX_BATCH
    return generation_batch(shape, device_memory(device), tokens, shards, cap=cap)


def longest_prompt(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str]) -> int:
    return max((len(ids) for ids in tokenizer(list(prompts))["input_ids"]), default=1)


def apply_chat_template(model_path: str, prompts: Sequence[str]) -> list[str]:
    """The prompts as the model's chat template renders one user turn, ready for the reply."""
    tokenizer = load_tokenizer(model_path)
    if not tokenizer.chat_template:
        raise EvalDataError(
            f"the suite sets chatTemplate but the tokenizer of {model_path} has no chat "
            "template; set chatTemplate: false for base models"
        )
    return [
        str(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
        )
        for p in prompts
    ]


def _generate_vllm(
    model_path: str, prompts: Sequence[str], max_new_tokens: int, device: str
) -> list[str]:
    from vllm import LLM, SamplingParams

    dtype = model_dtype(device)
    shards = distributed.world_size()
    shape = model_shape(model_path, dtype.itemsize)
    tokens = longest_prompt(load_tokenizer(model_path), prompts) + max_new_tokens
    extra = {"distributed_executor_backend": "external_launcher"} if shards > 1 else {}
    llm = LLM(
        model=model_path,
        dtype=str(dtype).removeprefix("torch."),
        seed=0,
        tensor_parallel_size=shards,
        max_model_len=tokens,
        max_num_seqs=batch_for(shape, device, tokens, shards),
        gpu_memory_utilization=HEADROOM,
        **extra,
    )
    params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
    outputs = llm.generate(list(prompts), params)
    return [output.outputs[0].text for output in outputs]


def _generate_transformers(
    model_path: str, prompts: Sequence[str], max_new_tokens: int, device: str
) -> list[str]:
    import torch

    tokenizer = load_tokenizer(model_path, padding_side="left")
    model = load_causal_lm(model_path, device)
    shape = ModelShape.from_config(model.config, model.num_parameters(), model.dtype.itemsize)
    batch = batch_for(shape, device, longest_prompt(tokenizer, prompts) + max_new_tokens)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    texts: dict[int, str] = {}
    for start in range(0, len(order), batch):
        ids = order[start : start + batch]
        inputs = tokenizer([prompts[i] for i in ids], return_tensors="pt", padding=True)
        inputs = inputs.to(device)
        with torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = out[:, inputs["input_ids"].shape[1] :]
        for i, text in zip(ids, tokenizer.batch_decode(new, skip_special_tokens=True), strict=True):
            texts[i] = text
    return [texts[i] for i in range(len(prompts))]
