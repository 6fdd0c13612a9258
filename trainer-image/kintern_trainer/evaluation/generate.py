"""Greedy generation for generative suites: vLLM when it is installed and a GPU is there,
transformers `generate` otherwise (always on the CPU, and in the tests).

Called by `evaluation.evaluate`; returns one completion per prompt, in prompt order.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from kintern_trainer.errors import EvalDataError
from kintern_trainer.modeling import load_causal_lm, load_tokenizer, model_dtype

CPU_BATCH = 8
GPU_BATCH = 64


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
) -> list[str]:
    """Greedy completions (temperature 0), decoded without the prompt; with `chat_template`
    each prompt is first wrapped as a user message in the model's chat template."""
    if chat_template:
        prompts = apply_chat_template(model_path, prompts)
    if pick_backend(device) == "vllm":
        return _generate_vllm(model_path, prompts, max_new_tokens, device)
    return _generate_transformers(model_path, prompts, max_new_tokens, device)


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

    dtype = "bfloat16" if str(model_dtype(device)) == "torch.bfloat16" else "float32"
    llm = LLM(model=model_path, dtype=dtype, seed=0)
    params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
    outputs = llm.generate(list(prompts), params)
    return [output.outputs[0].text for output in outputs]


def _generate_transformers(
    model_path: str, prompts: Sequence[str], max_new_tokens: int, device: str
) -> list[str]:
    import torch

    tokenizer = load_tokenizer(model_path, padding_side="left")
    model = load_causal_lm(model_path, device)
    batch = GPU_BATCH if device == "cuda" else CPU_BATCH
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    texts: dict[int, str] = {}
    for start in range(0, len(order), batch):
        ids = order[start : start + batch]
        inputs = tokenizer([prompts[i] for i in ids], return_tensors="pt", padding=True)
        inputs = inputs.to(device)
        with torch.inference_mode():
            out = model.generate(  # type: ignore[operator]  # mypy sees nn.Module.__getattr__
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new = out[:, inputs["input_ids"].shape[1] :]
        for i, text in zip(ids, tokenizer.batch_decode(new, skip_special_tokens=True), strict=True):
            texts[i] = text
    return [texts[i] for i in range(len(prompts))]
