"""Generated tokens per second of the evaluation's generation, with vLLM and without.

Both backends run the trainer's own `generate` (greedy, the batch from the memory budget)
on the same prompts of the same model, one after the other. Tokens are counted by
re-tokenising the outputs. Each call loads the model (vLLM also compiles and captures
CUDA graphs), so the loading time is measured by a call for one token of one prompt and
taken off: the line gives both the generation rate and the end-to-end time.

    python bench/eval_throughput.py                          # the toy model, CPU
    python bench/eval_throughput.py --model qwen3-1.7b       # Qwen3-1.7B's shape, random init

Nothing is downloaded: models are built as in `trainer_throughput.py`. Without a GPU or
without vLLM installed, the vLLM line says why it was skipped.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from trainer_throughput import prepare_model


def main() -> None:
    args = make_parser().parse_args()
    from kintern_trainer.modeling import resolve_device

    device = resolve_device(args.device)
    model = prepare_model(args.model, Path(tempfile.mkdtemp(prefix="kintern-bench-")))
    prompts = make_prompts(args.prompts, args.prompt_words, seed=0)
    print(
        f"model {args.model} on {device}: {args.prompts} prompts of {args.prompt_words} "
        f"words, {args.new_tokens} new tokens each"
    )
    for backend in ("transformers", "vllm"):
        why_not = unavailable(backend, device)
        if why_not:
            print(f"{backend:>13}: skipped ({why_not})")
            continue
        _, loading = measure(model, prompts[:1], 1, device, backend)
        tokens, seconds = measure(model, prompts, args.new_tokens, device, backend)
        rate = tokens / max(seconds - loading, 1e-9)
        print(
            f"{backend:>13}: {rate:10.1f} generated tokens/s ({tokens} tokens; "
            f"{seconds:.1f} s end to end, of which about {loading:.1f} s loading)"
        )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="toy", help="toy, llama-1b, qwen3-1.7b, or a dir")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--prompt-words", type=int, default=200)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    return parser


def unavailable(backend: str, device: str) -> str | None:
    if backend != "vllm":
        return None
    if device != "cuda":
        return "vLLM needs a GPU"
    if importlib.util.find_spec("vllm") is None:
        return "vLLM is not installed (the CPU build of the trainer image leaves it out)"
    return None


def make_prompts(n: int, words: int, seed: int) -> list[str]:
    from kintern_trainer.toy import CATEGORIES

    vocabulary = [w for members in CATEGORIES.values() for w in members]
    rng = random.Random(seed)
    return [" ".join(rng.choice(vocabulary) for _ in range(words)) for _ in range(n)]


def measure(
    model: str, prompts: list[str], new_tokens: int, device: str, backend: str
) -> tuple[int, float]:
    import torch

    from kintern_trainer.evaluation.generate import generate
    from kintern_trainer.modeling import load_tokenizer

    started = time.monotonic()
    texts = generate(model, prompts, new_tokens, device, backend=backend)
    seconds = time.monotonic() - started  # includes loading the model, as a run pays it
    tokenizer = load_tokenizer(model)
    tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return tokens, seconds


if __name__ == "__main__":
    main()
