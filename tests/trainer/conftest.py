"""Shared fixtures of the trainer tests: one tiny model and one toy task per session.

Nothing is downloaded: the Hub is switched off for the whole session, Trackio and the
data set cache write to a temporary directory, and the models are built from a config
with a tokenizer trained on the spot.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_SCRATCH = Path(tempfile.mkdtemp(prefix="kintern-trainer-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)  # 50 MB a session, else left
# Read when these libraries are first imported, so set before any test imports them.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRACKIO_DIR"] = str(_SCRATCH / "trackio")
os.environ["HF_DATASETS_CACHE"] = str(_SCRATCH / "datasets")
os.environ.pop("HF_TOKEN", None)

from kintern_trainer.toy import ToyTask, build_tiny_model, generate_mc_task  # noqa: E402
from tests.trainer.builders import RequestBuilder  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly initialised 2-layer Llama and its tokenizer (never trained)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture(scope="session")
def toy_task(tmp_path_factory: pytest.TempPathFactory) -> ToyTask:
    """The quickstart's task: 4000 training rows and 200 held-out questions."""
    return generate_mc_task(tmp_path_factory.mktemp("toy-task"), seed=0)


@pytest.fixture
def request_builder(tmp_path: Path, tiny_model: Path, toy_task: ToyTask) -> RequestBuilder:
    """A RunRequest builder preset to train the tiny model on the toy task."""
    return RequestBuilder(tmp_path, tiny_model, toy_task)


@pytest.fixture(scope="session")
def trackio_dir() -> Iterator[Path]:
    yield Path(os.environ["TRACKIO_DIR"])
