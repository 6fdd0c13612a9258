"""Device, precision and model loading, shared by the recipes, evaluation and the benchmark.

bf16 on a GPU that supports it, fp32 on the CPU (CPUs gain nothing reliable from bf16
autocast and lose accuracy). Tokenizers always get a pad token, so batching works for
base models that ship without one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kintern_trainer.errors import SpecError

SMALL_MODEL_PARAMETERS = 50_000_000

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from kintern_trainer.evaluation.budget import ModelShape


def resolve_device(requested: str) -> str:
    """`cuda` or `cpu` for a request's `device` (auto picks the GPU when there is one)."""
    import torch

    if requested not in {"auto", "cuda", "cpu"}:
        raise SpecError(f"device '{requested}' is not one of auto, cuda, cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise SpecError("device 'cuda' was requested but torch sees no GPU; use device: auto")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def use_bf16(device: str) -> bool:
    """Whether to train and evaluate in bf16 on this device."""
    import torch

    return device == "cuda" and torch.cuda.is_bf16_supported()


def model_dtype(device: str) -> torch.dtype:
    import torch

    return torch.bfloat16 if use_bf16(device) else torch.float32


def gpu_count(device: str) -> int:
    """GPUs this process uses (for GPU-seconds accounting)."""
    import torch

    return torch.cuda.device_count() if device == "cuda" else 0


def device_memory(device: str) -> int:
    """Bytes of memory of one device: the current GPU's, or the machine's RAM."""
    import torch

    if device == "cuda":
        return int(torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory)
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def model_shape(path: str, dtype_bytes: int) -> ModelShape:
    """The generation-memory shape of the model at `path`, without loading its weights
    (the parameters are counted on the meta device)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from kintern_trainer.evaluation.budget import ModelShape

    try:
        config = AutoConfig.from_pretrained(path, **hub_kwargs())
    except OSError as exc:
        raise model_error(path, exc) from exc
    with torch.device("meta"):
        parameters = AutoModelForCausalLM.from_config(config).num_parameters()
    return ModelShape.from_config(config, parameters, dtype_bytes)


def hub_kwargs() -> dict[str, Any]:
    """from_pretrained keyword arguments for gated or private Hub models (token from env)."""
    token = os.environ.get("HF_TOKEN")
    return {"token": token} if token else {}


def load_tokenizer(path: str, padding_side: str = "right") -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a pad token (the EOS token when it has none)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **hub_kwargs())
    except OSError as exc:
        raise model_error(path, exc) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = padding_side
    return tokenizer


def load_causal_lm(path: str, device: str) -> PreTrainedModel:
    """The model in the device's precision, moved to the device, in eval mode."""
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=model_dtype(device), **hub_kwargs()
        )
    except OSError as exc:
        raise model_error(path, exc) from exc
    tune_cpu_threads(model, device)
    model.to(device)
    return model.eval()


def model_error(path: str, exc: Exception) -> SpecError:
    """A clear error for a model or tokenizer that cannot be loaded."""
    return SpecError(
        f"cannot load model '{path}': {exc}. Give a Hub model id or a local directory with "
        "config.json; gated or private models need HF_TOKEN"
    )


def tune_cpu_threads(model: PreTrainedModel, device: str) -> None:
    """Run small models on one CPU thread: their matrix products gain nothing from more,
    and threads that spin-wait for each other on a busy machine make them many times
    slower. An explicit OMP_NUM_THREADS is respected."""
    import torch

    if device != "cpu" or "OMP_NUM_THREADS" in os.environ:
        return
    if model.num_parameters() < SMALL_MODEL_PARAMETERS:
        torch.set_num_threads(1)
