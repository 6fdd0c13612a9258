"""Publishes a checkpoint to the Hugging Face Hub when a run asks for it.

The token comes from the HF_TOKEN environment variable (the campaign's hubTokenSecret);
it is passed to the Hub client only and never logged or recorded.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kintern.api.request import RunRequest
from kintern_trainer.errors import SpecError

log = logging.getLogger(__name__)


def check_publish(request: RunRequest) -> None:
    """Fail before training, not after it, when publishing cannot work."""
    if not request.spec.push_to_hub:
        return
    if not request.hub_repo:
        raise SpecError("spec.pushToHub is true but the campaign has no output.hubRepo")
    if not os.environ.get("HF_TOKEN"):
        raise SpecError("spec.pushToHub needs HF_TOKEN (the campaign's output.hubTokenSecret)")


def push_checkpoint(checkpoint: Path, repo: str, run_name: str) -> str:
    """Upload `checkpoint` to the private model repo `repo`; returns its URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=os.environ.get("HF_TOKEN"))
    api.create_repo(repo, repo_type="model", private=True, exist_ok=True)
    api.upload_folder(
        repo_id=repo,
        folder_path=str(checkpoint),
        commit_message=f"kintern: checkpoint of run {run_name}",
    )
    url = f"https://huggingface.co/{repo}"
    log.info("pushed the checkpoint to %s", url)
    return url
