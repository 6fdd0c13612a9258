"""The batch Job that executes one approved TrainingRun on the campaign's GPU pool."""

import math
from typing import Any

import yaml

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.names import KUEUE_PRIORITY_LABEL, KUEUE_QUEUE_LABEL
from kintern.api.request import RunRequest
from kintern.api.result import DEFAULT_TERMINATION_PATH
from kintern.api.run import TrainingRun
from kintern.core.budget import requested_gpus
from kintern.core.requests import train_arguments
from kintern_operator import naming
from kintern_operator.builders.common import (
    owner_reference,
    restricted_container_security,
    restricted_pod_security,
)
from kintern_operator.settings import OperatorSettings

CHECKPOINT_MOUNT = "/checkpoints"


def checkpoint_dir(run_name: str) -> str:
    return f"{CHECKPOINT_MOUNT}/{run_name}"


def trainer_command(gpus: int) -> list[str]:
    """`kintern train`, with one worker process per GPU when the run has several."""
    return ["kintern", *train_arguments(gpus)]


def _env(request: RunRequest, campaign: PostTrainingCampaign) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "KINTERN_RUN_REQUEST", "value": yaml.safe_dump(request.to_dict())},
        {"name": "TRACKIO_PROJECT", "value": request.trackio_project or ""},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
    ]
    secret = campaign.spec.output.hub_token_secret
    if secret:
        ref = {"name": secret, "key": "HF_TOKEN", "optional": True}
        env.append({"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": ref}})
    return env


SCRIPT_MOUNT = "/kintern/script"  # the trainer's custom recipe looks for script.py here


def _volumes(campaign: PostTrainingCampaign, run: TrainingRun) -> list[dict[str, Any]]:
    claim = campaign.spec.compute.checkpoint_volume_claim
    source: dict[str, Any] = (
        {"persistentVolumeClaim": {"claimName": claim}} if claim else {"emptyDir": {}}
    )
    volumes = [{"name": "checkpoints", **source}]
    script = run.spec.script
    if script is not None and script.config_map:
        volumes.append({"name": "script", "configMap": {"name": script.config_map}})
    return volumes


def _mounts(run: TrainingRun) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = [{"name": "checkpoints", "mountPath": CHECKPOINT_MOUNT}]
    if run.spec.script is not None and run.spec.script.config_map:
        mounts.append({"name": "script", "mountPath": SCRIPT_MOUNT, "readOnly": True})
    return mounts


def build_training_job(
    run_body: dict[str, Any],
    run: TrainingRun,
    campaign: PostTrainingCampaign,
    request: RunRequest,
    settings: OperatorSettings,
) -> dict[str, Any]:
    """The Job for `run`: deterministic name, owned by the run, on the GPU node pool."""
    compute = campaign.spec.compute
    name = run.metadata["name"]
    gpus = requested_gpus(run, campaign.spec)
    labels = {
        **naming.campaign_labels(campaign.metadata["name"], "trainer"),
        naming.RUN_LABEL: naming.label_value(name),
    }
    job_labels = dict(labels)
    if compute.queue_name:
        job_labels[KUEUE_QUEUE_LABEL] = compute.queue_name
    if compute.workload_priority_class:
        job_labels[KUEUE_PRIORITY_LABEL] = compute.workload_priority_class
    resources: dict[str, Any] = {"requests": {"cpu": compute.cpu, "memory": compute.memory}}
    if gpus:
        resources["limits"] = {compute.gpu_resource: str(gpus)}
    container = {
        "name": "trainer",
        "image": compute.trainer_image or settings.trainer_image,
        "command": trainer_command(gpus),
        "env": _env(request, campaign),
        "resources": resources,
        "terminationMessagePath": DEFAULT_TERMINATION_PATH,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": _mounts(run),
        "securityContext": restricted_container_security(),
    }
    pod_spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": restricted_pod_security(),
        "nodeSelector": dict(compute.node_selector or settings.default_node_selector),
        "tolerations": [t.to_dict() for t in compute.tolerations]
        or [dict(t) for t in settings.default_tolerations],
        "containers": [container],
        "volumes": _volumes(campaign, run),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": naming.run_job(name),
            "namespace": run.metadata["namespace"],
            "labels": job_labels,
            "ownerReferences": [owner_reference(run_body)],
        },
        "spec": {
            # A failed training run is not retried blindly on GPUs: the agent reads the
            # diagnosis and decides what to change.
            "backoffLimit": 0,
            "activeDeadlineSeconds": max(1, math.ceil(run.spec.resources.hours * 3600)),
            "suspend": bool(compute.queue_name),
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
