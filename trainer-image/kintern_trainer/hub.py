"""Publishes a checkpoint, with its model card, to the Hugging Face Hub.

Used by the `publish` recipe (the campaign's best model, once publishing is approved) and by
a run's own `pushToHub`. The token comes from the HF_TOKEN environment variable (the
campaign's hubTokenSecret); it is passed to the Hub client only and never logged or
recorded. HF_ENDPOINT points the client at another Hub (a mirror, or a test server). The
local checkpoint is never changed or replaced: the run's result keeps its path and records
the Hub URL beside it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kintern.api.request import RunRequest
from kintern.api.run import PUBLISH_RECIPE
from kintern_trainer.errors import SpecError

CARD_FILENAME = "README.md"
DEFAULT_ENDPOINT = "https://huggingface.co"
log = logging.getLogger(__name__)


def publishes(request: RunRequest) -> bool:
    return request.spec.push_to_hub or request.spec.recipe == PUBLISH_RECIPE


def check_publish(request: RunRequest) -> None:
    """Fail before training, not after it, when publishing cannot work."""
    if not publishes(request):
        return
    what = "a publish run" if request.spec.recipe == PUBLISH_RECIPE else "spec.pushToHub"
    if not request.hub_repo:
        raise SpecError(f"{what} is set but the campaign has no output.hubRepo to publish to")
    if not os.environ.get("HF_TOKEN"):
        raise SpecError(f"{what} needs HF_TOKEN (the campaign's output.hubTokenSecret)")


def push_checkpoint(checkpoint: Path, repo: str, card: str, run_name: str) -> str:
    """Upload the files of `checkpoint` and the model card `card` (as README.md) to the
    private model repo `repo`, in one commit; returns the repo's URL."""
    from huggingface_hub import CommitOperationAdd, HfApi

    endpoint = os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")
    api = HfApi(endpoint=endpoint, token=os.environ.get("HF_TOKEN"))
    api.create_repo(repo, repo_type="model", private=True, exist_ok=True)
    files = sorted(p for p in checkpoint.rglob("*") if p.is_file())
    operations = [
        CommitOperationAdd(path_in_repo=p.relative_to(checkpoint).as_posix(), path_or_fileobj=p)
        for p in files
        if p.relative_to(checkpoint).as_posix() != CARD_FILENAME
    ]
    operations.append(CommitOperationAdd(CARD_FILENAME, card.encode()))
    api.create_commit(
        repo_id=repo,
        repo_type="model",
        operations=operations,
        commit_message=f"kintern: the model of run {run_name}, with its model card",
    )
    url = f"{endpoint}/{repo}"
    log.info("published the checkpoint to %s", url)
    return url
