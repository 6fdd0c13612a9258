"""The campaign directory: the local stand-in for the apiserver's storage.

Layout: campaign.yaml (the spec), status.json, runs/<name>/run.json (spec + status),
runs/<name>/{request.yaml,result.json,train.log,pid,checkpoint/}, agent/state.txt,
trace/. Writes are atomic (temp file, then rename) and serialised by one lock, so a
kill at any moment leaves a readable directory and `kintern run` can resume from it.
"""

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic.alias_generators import to_snake

from kintern.api import admission
from kintern.api.campaign import CampaignStatus, PostTrainingCampaign
from kintern.api.run import TrainingRun, TrainingRunSpec, TrainingRunStatus
from kintern.api.times import rfc3339

# The status fields the agent owns (one list, kintern.api.admission), as Python names.
AGENT_FIELDS = tuple(to_snake(f) for f in admission.AGENT_STATUS_FIELDS)
AGENT_USAGE_FIELDS = tuple(to_snake(f) for f in admission.AGENT_USAGE_FIELDS)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class CampaignStore:
    """Reads and writes one campaign's directory; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()

    # --- paths ------------------------------------------------------------------------

    def run_dir(self, name: str) -> Path:
        return self.root / "runs" / name

    @property
    def trace_dir(self) -> Path:
        return self.root / "trace"

    # --- campaign ---------------------------------------------------------------------

    def init(self, campaign: PostTrainingCampaign) -> None:
        """Write the spec on a first start; on a resume keep the spec that started it."""
        with self.lock:
            path = self.root / "campaign.yaml"
            if not path.exists():
                body = campaign.model_copy(update={"status": CampaignStatus()}).to_dict()
                body.pop("status", None)
                body["metadata"]["creationTimestamp"] = rfc3339(datetime.now(UTC))
                write_atomic(path, yaml.safe_dump(body, sort_keys=False))

    def exists(self) -> bool:
        return (self.root / "campaign.yaml").exists()

    def campaign(self) -> PostTrainingCampaign:
        with self.lock:
            body = yaml.safe_load((self.root / "campaign.yaml").read_text())
            status_path = self.root / "status.json"
            if status_path.exists():
                body["status"] = json.loads(status_path.read_text())
            return PostTrainingCampaign.model_validate(body)

    def write_status(self, status: CampaignStatus) -> None:
        """Write the operator's part of the status, keeping what the agent wrote."""
        with self.lock:
            current = self.campaign().status
            merged = status.model_copy(deep=True)
            for name in AGENT_FIELDS:
                setattr(merged, name, getattr(current, name))
            for name in AGENT_USAGE_FIELDS:
                setattr(merged.usage, name, getattr(current.usage, name))
            self._write_status(merged)

    def _write_status(self, status: CampaignStatus) -> None:
        write_atomic(self.root / "status.json", status.model_dump_json(by_alias=True, indent=2))

    def update_agent_fields(self, **fields: Any) -> None:
        with self.lock:
            status = self.campaign().status
            for name, value in fields.items():
                target = status.usage if name in AGENT_USAGE_FIELDS else status
                setattr(target, name, value)
            self._write_status(status)

    # --- runs -------------------------------------------------------------------------

    def runs(self) -> list[TrainingRun]:
        with self.lock:
            paths = sorted((self.root / "runs").glob("*/run.json"))
            runs = [TrainingRun.model_validate_json(p.read_text()) for p in paths]
            return sorted(runs, key=lambda r: (r.metadata["creationTimestamp"], r.metadata["name"]))

    def run(self, name: str) -> TrainingRun | None:
        path = self.run_dir(name) / "run.json"
        with self.lock:
            return TrainingRun.model_validate_json(path.read_text()) if path.exists() else None

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        """Create the run, or return the existing one with that name unchanged."""
        with self.lock:
            existing = self.run(name)
            if existing is not None:
                return existing
            now = datetime.now(UTC)
            run = TrainingRun(
                metadata={
                    "name": name,
                    "namespace": "local",
                    "generation": 1,
                    # Microseconds keep creation order exact for runs made in one second.
                    "creationTimestamp": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "annotations": {},
                },
                spec=spec,
            )
            self._write_run(run)
            return run

    def _write_run(self, run: TrainingRun) -> None:
        write_atomic(
            self.run_dir(run.metadata["name"]) / "run.json",
            run.model_dump_json(by_alias=True, exclude_none=True, indent=2),
        )

    def write_run_status(self, name: str, status: TrainingRunStatus) -> None:
        with self.lock:
            run = self.run(name)
            if run is not None:
                self._write_run(run.model_copy(update={"status": status}))

    def annotate_run(self, name: str, annotations: dict[str, str]) -> None:
        with self.lock:
            run = self.run(name)
            if run is None:
                raise KeyError(name)
            meta = dict(run.metadata)
            meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
            self._write_run(run.model_copy(update={"metadata": meta}))

    # --- agent memory -------------------------------------------------------------------

    def load_agent_state(self) -> str | None:
        path = self.root / "agent" / "state.txt"
        return path.read_text() if path.exists() else None

    def save_agent_state(self, state: str) -> None:
        write_atomic(self.root / "agent" / "state.txt", state)
