"""Training throughput of the `sft` recipe against plain TRL SFTTrainer defaults.

Both train the same model on the same data for the same number of steps, in one process,
one after the other (TRL defaults first). Throughput is non-padding tokens per second as
TRL counts them (`num_tokens` / `train_runtime`); on a GPU the MFU is printed too.

    python bench/trainer_throughput.py                        # the toy model, CPU
    python bench/trainer_throughput.py --model llama-1b       # a 1.2B Llama, random init
    python bench/trainer_throughput.py --model qwen3-1.7b     # Qwen3-1.7B's shape, random init
    python bench/trainer_throughput.py --model /models/qwen3  # any local HF model directory

Nothing is downloaded: `toy`, `llama-1b` and `qwen3-1.7b` are built from a config (the
large ones with a word-level tokenizer of the real vocabulary size, see `wide_tokenizer`);
the data are prompt/completion rows of varied length made from the toy vocabulary. On a
GPU each line also gives the peak memory allocated. `bench/gpu_check.sh` runs it.
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0}
LLAMA_1B: dict[str, Any] = {
    "model_type": "llama",
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
}
QWEN3_1_7B: dict[str, Any] = {  # Qwen/Qwen3-1.7B's config.json, sizes only
    "model_type": "qwen3",
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
}
PRESETS = {"llama-1b": LLAMA_1B, "qwen3-1.7b": QWEN3_1_7B}


@dataclass
class Measurement:
    name: str
    tokens: float
    seconds: float
    peak_bytes: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds


def main() -> None:
    args = make_parser().parse_args()
    from kintern_trainer.modeling import resolve_device

    device = resolve_device(args.device)
    work = Path(tempfile.mkdtemp(prefix="kintern-bench-"))
    model = prepare_model(args.model, work)
    data = make_rows(args.rows, args.max_length, seed=0)
    print(f"model {args.model} on {device}: {args.steps} steps, batch {args.batch_size}")
    defaults = run_trl_defaults(model, data, args, device, work)
    gc.collect()  # the first trainer's model and optimizer leave the GPU before the second
    recipe = run_kintern_sft(model, data, args, device, work)
    for m in (defaults, recipe):
        line = f"{m.name:>14}: {m.tokens_per_second:10.1f} tokens/s"
        line += f" ({m.tokens:.0f} tokens in {m.seconds:.1f} s)"
        if device == "cuda":
            mean_seq = m.tokens / (args.steps * args.batch_size)
            line += f", MFU {mfu(model, m, mean_seq, args.peak_tflops):.1%}"
            line += f", peak memory {m.peak_bytes / 2**30:.1f} GiB"
        print(line)
    ratio = recipe.tokens_per_second / defaults.tokens_per_second
    print(f"ratio sft recipe / TRL defaults: {ratio:.2f}x")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default="toy", help="toy, llama-1b, qwen3-1.7b, or a model directory"
    )
    parser.add_argument("--steps", type=int, default=60, help="optimizer steps per run")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256, help="longest row, in tokens")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--peak-tflops", type=float, default=None, help="GPU bf16 peak")
    return parser


def prepare_model(name: str, work: Path) -> str:
    from kintern_trainer.toy import build_tiny_model

    if name == "toy":
        return str(build_tiny_model(work / "toy"))
    if name in PRESETS:
        return build_preset(PRESETS[name], work / name)
    return name


def build_preset(sizes: dict[str, Any], directory: Path) -> str:
    """A model of a real model's shape, random init in bf16, with a word-level tokenizer of
    its vocabulary size (so that the compute is the real model's and any token it
    generates can be decoded)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    sizes = dict(sizes)
    tokenizer = wide_tokenizer(directory, sizes["vocab_size"])
    config = AutoConfig.for_model(
        sizes.pop("model_type"),
        **sizes,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(directory)
    return str(directory)


def wide_tokenizer(directory: Path, vocab_size: int) -> Any:
    """A whitespace word-level tokenizer of `vocab_size` tokens: the toy words, then filler
    words w<N> up to the size; saved to `directory`."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from kintern_trainer.toy import CATEGORIES, EOS, PAD

    words = [EOS, PAD, "[UNK]", *(w for members in CATEGORIES.values() for w in members)]
    words += [f"w{i}" for i in range(vocab_size - len(words))]
    model = models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]")
    backend = Tokenizer(model)
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token=EOS, pad_token=PAD, unk_token="[UNK]"
    )
    tokenizer.save_pretrained(directory)
    return tokenizer


def make_rows(n: int, max_length: int, seed: int) -> Any:
    """Prompt/completion rows from the toy vocabulary, lengths spread over 1/8..1 of max."""
    from datasets import Dataset

    from kintern_trainer.toy import CATEGORIES

    words = [w for members in CATEGORIES.values() for w in members]
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        length = rng.randint(max_length // 8, max_length - 8)
        text = [rng.choice(words) for _ in range(length)]
        cut = length // 2
        rows.append({"prompt": " ".join(text[:cut]), "completion": " " + " ".join(text[cut:])})
    return Dataset.from_list(rows)


def run_trl_defaults(
    model: str, data: Any, args: argparse.Namespace, device: str, work: Path
) -> Measurement:
    """SFTTrainer as its documentation shows it, with only the run length and batch set."""
    import torch
    from trl import SFTConfig, SFTTrainer

    threads = torch.get_num_threads()
    config = SFTConfig(
        output_dir=str(work / "trl-defaults"),
        max_steps=args.steps,
        per_device_train_batch_size=args.batch_size,
        max_length=args.max_length,
        report_to="none",
        save_strategy="no",
        use_cpu=device == "cpu",
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=data)
    result = measure("TRL defaults", trainer)
    torch.set_num_threads(threads)
    return result


def run_kintern_sft(
    model: str, data: Any, args: argparse.Namespace, device: str, work: Path
) -> Measurement:
    from kintern.api.request import RunRequest
    from kintern_trainer.recipes import sft
    from kintern_trainer.recipes.common import RecipeContext

    request = RunRequest.model_validate(
        {
            "runName": "bench",
            "campaign": "bench",
            "baseModel": model,
            "benchmark": "none",
            "outputDir": str(work / "kintern-sft"),
            "spec": {
                "campaign": "bench",
                "recipe": "sft",
                "datasets": [{"name": "in-memory"}],
                "hyperparameters": {
                    "maxSteps": args.steps,
                    "batchSize": args.batch_size,
                    "maxLength": args.max_length,
                },
            },
        }
    )
    ctx = RecipeContext(request=request, device=device, model_path=model, dataset=data)
    return measure("kintern sft", sft.build_trainer(ctx))


def measure(name: str, trainer: Any) -> Measurement:
    import torch

    gpu = torch.cuda.is_available()
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    seconds = trainer.train().metrics["train_runtime"]
    tokens = next(e["num_tokens"] for e in reversed(trainer.state.log_history) if "num_tokens" in e)
    peak = torch.cuda.max_memory_allocated() if gpu else 0
    del trainer  # free the model and optimizer before the next measurement
    if gpu:
        torch.cuda.empty_cache()
    return Measurement(name=name, tokens=float(tokens), seconds=float(seconds), peak_bytes=peak)


def mfu(model: str, m: Measurement, mean_seq: float, peak_tflops: float | None) -> float:
    """Model FLOPs utilisation: (6 N + 12 L d s) FLOPs per token over the GPU's bf16 peak,
    with s the mean sequence length (causal attention counted in full, as is usual)."""
    import torch
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model)
    params = parameter_count(config)
    attention = 12 * config.num_hidden_layers * config.hidden_size * mean_seq
    flops_per_token = 6 * params + attention
    if peak_tflops is None:
        gpu = torch.cuda.get_device_name()
        peak_tflops = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in gpu), None)
        if peak_tflops is None:
            raise SystemExit(f"unknown GPU '{gpu}': pass --peak-tflops")
    return m.tokens_per_second * flops_per_token / (peak_tflops * 1e12)


def parameter_count(config: Any) -> int:
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config).num_parameters()


if __name__ == "__main__":
    main()
