"""Generation for generative suites: the backend choice and the optional chat template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kintern_trainer.errors import EvalDataError
from kintern_trainer.evaluation.generate import apply_chat_template, pick_backend

TEMPLATE = (
    "{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def test_cpu_always_uses_transformers() -> None:
    assert pick_backend("cpu") == "transformers"


def test_chat_template_wraps_each_prompt(tmp_path: Path, tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    chat_model = tmp_path / "chat"
    shutil.copytree(tiny_model, chat_model)
    tokenizer = AutoTokenizer.from_pretrained(chat_model)
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(chat_model)
    assert apply_chat_template(str(chat_model), ["Pick one."]) == ["<|user|>Pick one.<|assistant|>"]


def test_chat_template_on_a_base_model_is_a_clear_error(tiny_model: Path) -> None:
    with pytest.raises(EvalDataError, match="no chat template; set chatTemplate: false"):
        apply_chat_template(str(tiny_model), ["Pick one."])
