"""A fluent builder of RunRequests for the trainer tests (`RequestBuilder(...).sft().obj()`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import yaml

from kintern.api.request import RunRequest
from kintern.api.result import TrainingResult
from kintern_trainer.toy import ToyTask


class RequestBuilder:
    """Starts as an SFT run of the tiny model on the toy task, scored by log-likelihood."""

    def __init__(self, root: Path, model: Path, task: ToyTask) -> None:
        self.root = root
        self.data: dict[str, Any] = {
            "runName": "test-run",
            "campaign": "tests",
            "baseModel": str(model),
            "benchmark": "toy",
            "eval": task.eval_spec().to_dict(),
            "spec": {
                "campaign": "tests",
                "recipe": "sft",
                "datasets": [{"name": str(task.train)}],
                "hyperparameters": {"batchSize": 16, "maxLength": 128, "learningRate": 5e-3},
            },
            "outputDir": str(root / "out"),
            "resultPath": str(root / "result.json"),
            "device": "cpu",
        }

    def recipe(self, name: str) -> Self:
        self.data["spec"]["recipe"] = name
        return self

    def hyper(self, **values: Any) -> Self:
        self.data["spec"]["hyperparameters"].update(values)
        return self

    def datasets(self, *entries: dict[str, Any]) -> Self:
        self.data["spec"]["datasets"] = list(entries)
        return self

    def spec(self, **values: Any) -> Self:
        self.data["spec"].update(values)
        return self

    def eval(self, **values: Any) -> Self:
        self.data["eval"].update(values)
        return self

    def set(self, **values: Any) -> Self:
        self.data.update(values)
        return self

    def obj(self) -> RunRequest:
        return RunRequest.model_validate(self.data)

    def write(self) -> Path:
        path = self.root / "request.yaml"
        path.write_text(yaml.safe_dump(self.data))
        return path

    @property
    def result_path(self) -> Path:
        return Path(self.data["resultPath"])

    @property
    def output_dir(self) -> Path:
        return Path(self.data["outputDir"])


def run_train(builder: RequestBuilder) -> tuple[int, TrainingResult]:
    """Run the request through the real entry point; returns the exit code and the result
    read back from the result path the way the operator reads it."""
    from kintern_trainer.cli import train_main

    code = train_main(builder.write())
    return code, TrainingResult.from_termination_message(builder.result_path.read_text())
