"""A tiny model and a small multiple-choice task it can really learn on a CPU in seconds.

Used by the trainer's tests, the throughput benchmark and the local quickstart, so that
a whole campaign (baseline eval, a sweep of SFT runs, final eval) runs on a laptop with
nothing downloaded. The model is a 2-layer Llama with a byte-level BPE tokenizer trained
here; the task asks which of four words belongs to a category ("Which of these is a
fruit?"), scored by log-likelihood. Held-out questions never appear in the training rows
(their wording is unique), so decontamination passes; the model learns the category
facts from the training rows, which is what SFT is for.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from kintern.api.campaign import EvalSpec
from kintern_trainer.evaluation.prompts import (
    cloze_continuation,
    cloze_prompt,
    generative_prompt,
)
from kintern_trainer.evaluation.questions import MCQuestion

if TYPE_CHECKING:  # a heavy import, made inside build_tokenizer
    from transformers import PreTrainedTokenizerFast

EOS = "<|endoftext|>"
PAD = "<|pad|>"
VOCAB_SIZE = 1024

CATEGORIES: dict[str, tuple[str, ...]] = {
    "fruit": ("apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear", "plum"),
    "animal": ("tiger", "horse", "rabbit", "eagle", "whale", "zebra", "camel", "wolf", "otter"),
    "colour": ("red", "blue", "green", "yellow", "purple", "brown", "pink", "grey", "cyan"),
    "metal": ("iron", "copper", "silver", "gold", "zinc", "nickel", "tin", "cobalt", "lead"),
    "instrument": ("piano", "violin", "guitar", "flute", "drum", "trumpet", "cello", "harp"),
    "country": ("france", "japan", "brazil", "kenya", "canada", "egypt", "india", "norway"),
    "vehicle": ("car", "bus", "truck", "bicycle", "train", "boat", "plane", "tractor"),
    "tool": ("hammer", "wrench", "saw", "drill", "chisel", "pliers", "shovel", "rake"),
    "sport": ("tennis", "soccer", "hockey", "golf", "rugby", "cricket", "boxing", "rowing"),
    "drink": ("tea", "coffee", "milk", "juice", "water", "soda", "cocoa", "cider"),
}
NAMES = (
    "Ava", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jack", "Kira", "Leo",
    "Mia", "Nico", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Zoe",
    "Abel", "Bea", "Cyril", "Dora", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jade", "Karl", "Lina",
    "Milo", "Nora", "Omar", "Pia",
)  # fmt: skip
SITUATIONS = (
    "is writing a quiz.", "is sorting some cards.", "is playing a word game.",
    "is labelling boxes.", "is studying for a test.", "is cleaning the attic.",
    "is reading a catalogue.", "is making a list.", "is helping a friend.", "is solving a puzzle.",
    "is drawing a poster.", "is packing a bag.", "is filling in a form.", "is teaching a class.",
    "is planning a trip.", "is tidying a shelf.",
)  # fmt: skip


@dataclass(frozen=True)
class ToyTask:
    """Paths of a generated task: training rows and held-out evaluation questions."""

    train: Path
    eval: Path

    def eval_spec(self) -> EvalSpec:
        """The inline suite that scores the held-out split (log-likelihood)."""
        return EvalSpec(dataset=str(self.eval), type="loglikelihood", shuffle_seed=0)


def build_tiny_model(directory: Path | str, seed: int = 0) -> Path:
    """A freshly initialised 2-layer Llama (~200K parameters) and its tokenizer, saved as a
    normal Hugging Face model directory; returns the directory."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(directory)
    tokenizer = build_tokenizer(out)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out)
    return out


def build_tokenizer(directory: Path) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the toy vocabulary and prompt formats; it can
    encode any text (bytes), and the toy task's words are single tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_tokenizer_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=PAD)
    tokenizer.save_pretrained(directory)
    return tokenizer


def generate_mc_task(
    directory: Path | str, n_train: int = 4000, n_eval: int = 200, seed: int = 0
) -> ToyTask:
    """Write train.jsonl (question, choices, answer, plus SFT prompt/completion and DPO
    chosen/rejected columns) and eval.jsonl (question, choices, answer).

    The defaults are sized for one SFT epoch at batch size 8 (500 steps, about 10 s on
    one CPU core): enough for learning rate 1e-3 to take held-out accuracy from chance
    (0.25) to above 0.9, while 1e-4 and below stay near chance, so a sweep has something
    to find."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    stems = list(product(NAMES, SITUATIONS, CATEGORIES))
    if n_train + n_eval > len(stems):
        raise ValueError(f"the toy task has {len(stems)} distinct questions; asked for more")
    rng.shuffle(stems)
    questions = [_question(stem, rng) for stem in stems[: n_train + n_eval]]
    train, held_out = questions[:n_train], questions[n_train:]
    task = ToyTask(train=out / "train.jsonl", eval=out / "eval.jsonl")
    _write_jsonl(task.train, [_train_row(q, rng) for q in train])
    _write_jsonl(task.eval, [_eval_row(q) for q in held_out])
    return task


def _question(stem: tuple[str, str, str], rng: random.Random) -> MCQuestion:
    name, situation, category = stem
    others = rng.sample([c for c in CATEGORIES if c != category], 3)
    right = rng.choice(CATEGORIES[category])
    choices = [right] + [rng.choice(CATEGORIES[c]) for c in others]
    rng.shuffle(choices)
    article = "an" if category[0] in "aeiou" else "a"
    text = f"{name} {situation} Which of these is {article} {category}?"
    return MCQuestion(question=text, choices=tuple(choices), answer=choices.index(right))


@dataclass(frozen=True)
class CategoryTask:
    """Paths of the GRPO task: which category a word belongs to (rows: prompt, answer)."""

    train: Path
    eval: Path


def generate_category_task(
    directory: Path | str,
    categories: tuple[str, ...] = ("fruit", "animal"),
    held_out_names: int = 8,
    seed: int = 0,
) -> CategoryTask:
    """Write train.jsonl and eval.jsonl of `Question: <name> <situation> Which category is
    <word> in?\nAnswer:` with the answer ` <category>`, for every word of `categories`.
    Held-out rows use names no training row has, so held-out accuracy measures what was
    learnt about the words, not the wording. With two categories a model that names
    categories earns the accuracy reward half of the time by chance, so GRPO has a signal
    from the start."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    names = list(NAMES)
    random.Random(seed).shuffle(names)
    task = CategoryTask(train=out / "category-train.jsonl", eval=out / "category-eval.jsonl")
    for path, group in ((task.train, names[held_out_names:]), (task.eval, names[:held_out_names])):
        rows = [
            {
                "prompt": cloze_prompt(f"{name} {situation} Which category is {word} in?"),
                "answer": cloze_continuation(category),
            }
            for name, situation, category in product(group, SITUATIONS, categories)
            for word in CATEGORIES[category]
        ]
        random.Random(seed).shuffle(rows)
        _write_jsonl(path, rows)
    return task


def _train_row(q: MCQuestion, rng: random.Random) -> dict[str, object]:
    wrong = rng.choice([c for i, c in enumerate(q.choices) if i != q.answer])
    return {
        **_eval_row(q),
        "prompt": cloze_prompt(q.question),
        "completion": cloze_continuation(q.choices[q.answer]),
        "chosen": cloze_continuation(q.choices[q.answer]),
        "rejected": cloze_continuation(wrong),
    }


def _eval_row(q: MCQuestion) -> dict[str, object]:
    return {"question": q.question, "choices": list(q.choices), "answer": q.answer}


def _write_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _tokenizer_corpus() -> list[str]:
    words = [w for members in CATEGORIES.values() for w in members]
    rng = random.Random(0)
    texts = []
    for stem in product(NAMES, SITUATIONS, CATEGORIES):
        q = _question(stem, rng)
        texts += [cloze_prompt(q.question) + cloze_continuation(q.choices[0]), generative_prompt(q)]
    texts += [f"Answer: {letter}" for letter in "ABCD"] + [" ".join(words)]
    return texts
