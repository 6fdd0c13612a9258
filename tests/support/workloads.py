"""Builders of plain Kubernetes workloads for tests: a GPU Job like a training run."""

from typing import Any

from kintern.devcluster.nodes import GPU_PRODUCT_LABEL, GPU_RESOURCE, H100

GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


def gpu_job(
    name: str,
    gpus: int = 1,
    backoff_limit: int = 0,
    deadline_seconds: int | None = None,
    tolerate: bool = True,
) -> dict[str, Any]:
    """A one-pod Job asking for `gpus` H100s, as the operator's run Jobs do."""
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "nodeSelector": {GPU_PRODUCT_LABEL: H100},
        "tolerations": [GPU_TOLERATION] if tolerate else [],
        "containers": [
            {
                "name": "trainer",
                "image": "kintern/trainer:test",
                "resources": {"limits": {GPU_RESOURCE: str(gpus)}},
            }
        ],
    }
    spec: dict[str, Any] = {"backoffLimit": backoff_limit, "template": {"spec": pod_spec}}
    if deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = deadline_seconds
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}
