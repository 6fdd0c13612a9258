"""Kintern objects on a live cluster for tests: create, read and wait, as a user or agent."""

from typing import Any

from kubernetes import client

from kintern_operator.naming import agent_service_account
from tests.support.builders import campaign_dict
from tests.support.wait import eventually

GROUP, VERSION = "kintern.dev", "v1alpha1"
H100_POOL = {
    "compute.nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
    "compute.tolerations": [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ],
}


class KinternApi:
    """Campaigns and runs in one namespace, through one identity's ApiClient."""

    def __init__(self, api: client.ApiClient, namespace: str) -> None:
        self.api, self.namespace = api, namespace
        self.custom = client.CustomObjectsApi(api)

    def create_campaign(self, name: str = "demo", **overrides: Any) -> dict[str, Any]:
        body = campaign_dict(name, **{**H100_POOL, **overrides})
        body["metadata"] = {"name": name, "namespace": self.namespace}
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "posttrainingcampaigns", body
        )

    def create_run(self, name: str, campaign: str = "demo", **spec: Any) -> dict[str, Any]:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "TrainingRun",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": {
                "campaign": campaign,
                "recipe": "sft",
                "datasets": [{"name": "data/train.jsonl"}],
                "resources": {"hours": 1},
                **spec,
            },
        }
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "trainingruns", body
        )

    def run(self, name: str) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "trainingruns", name
        )

    def campaign(self, name: str = "demo") -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "posttrainingcampaigns", name
        )

    def patch_campaign(self, name: str, spec: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "posttrainingcampaigns", name, {"spec": spec}
        )

    def annotate_run(self, name: str, annotations: dict[str, str]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            self.namespace,
            "trainingruns",
            name,
            {"metadata": {"annotations": annotations}},
        )

    def wait_run(self, name: str, *phases: str, timeout: float = 60) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            run = self.run(name)
            return run if (run.get("status") or {}).get("phase") in phases else None

        return eventually(probe, f"run {name} to reach {phases}", timeout)

    def wait_campaign(
        self, *phases: str, name: str = "demo", timeout: float = 60
    ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            c = self.campaign(name)
            return c if (c.get("status") or {}).get("phase") in phases else None

        return eventually(probe, f"campaign {name} to reach {phases}", timeout)


def result_message(score: float, checkpoint: str = "/checkpoints/x") -> dict[str, Any]:
    """A trainer's termination message, as the result protocol defines it."""
    return {
        "status": "succeeded",
        "score": {"value": score, "ciLow": score - 0.05, "ciHigh": score + 0.05, "n": 448},
        "checkpoint": checkpoint,
    }


def agent_identity(campaign: str = "demo") -> str:
    return agent_service_account(campaign)


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c
    return None


def events_for(api: client.ApiClient, namespace: str, name: str) -> list[str]:
    items = (
        client.CoreV1Api(api)
        .list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}")
        .items
    )
    return [e.reason for e in items]
