"""The training Job starts one worker process per GPU it asks for (unit, no cluster).

The launcher behind `kintern train --processes N` is tested for real on the CPU in
tests/trainer/test_multiprocess.py; here the Job is checked to ask for it.
"""

import pytest

from kintern.core.requests import build_request
from kintern_operator.builders.training_job import build_training_job
from kintern_operator.settings import OperatorSettings
from tests.support.builders import campaign, run


def _container(gpus: int | None, gpus_per_run: int = 1) -> dict:
    c = campaign(**{"compute.gpusPerRun": gpus_per_run})
    r = run("demo-r001", gpus=gpus)
    request = build_request(r, c, "/checkpoints/demo-r001", {})
    metadata = {**r.metadata, "uid": "uid-1"}
    body = {"apiVersion": "kintern.dev/v1alpha1", "kind": "TrainingRun", "metadata": metadata}
    job = build_training_job(body, r, c, request, OperatorSettings())
    return job["spec"]["template"]["spec"]["containers"][0]


def test_a_run_with_8_gpus_starts_8_workers_on_its_8_gpus() -> None:
    container = _container(gpus=8)
    assert container["command"] == ["kintern", "train", "--processes", "8"]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "8"}


def test_the_campaign_default_gpus_per_run_sets_the_workers() -> None:
    assert _container(gpus=None, gpus_per_run=4)["command"][-2:] == ["--processes", "4"]


@pytest.mark.parametrize("gpus", [0, 1], ids=["cpu", "one-gpu"])
def test_a_run_on_one_gpu_or_none_is_one_process(gpus: int) -> None:
    assert _container(gpus=gpus)["command"] == ["kintern", "train"]
