"""The agent's Job, identity and least-privilege Role, and its state ConfigMap."""

from typing import Any

from kintern.api.campaign import PostTrainingCampaign
from kintern_operator import naming
from kintern_operator.builders.common import (
    owner_reference,
    restricted_container_security,
    restricted_pod_security,
)
from kintern_operator.settings import OperatorSettings


def _meta(name: str, campaign_body: dict[str, Any], component: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": campaign_body["metadata"]["namespace"],
        "labels": naming.campaign_labels(campaign_body["metadata"]["name"], component),
        "ownerReferences": [owner_reference(campaign_body)],
    }


def build_service_account(campaign_body: dict[str, Any]) -> dict[str, Any]:
    name = naming.agent_service_account(campaign_body["metadata"]["name"])
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(name, campaign_body, "agent"),
    }


def build_role(campaign_body: dict[str, Any], run_pods: list[str]) -> dict[str, Any]:
    """What the agent may do: propose and read runs, read its own campaign and its own runs'
    logs, and write its own progress and memory. No Secrets, Jobs or Pods."""
    campaign = campaign_body["metadata"]["name"]
    rules: list[dict[str, Any]] = [
        {
            "apiGroups": [naming.GROUP],
            "resources": ["trainingruns"],
            "verbs": ["create", "get", "list", "watch"],
        },
        {
            "apiGroups": [naming.GROUP],
            "resources": ["posttrainingcampaigns"],
            "resourceNames": [campaign],
            "verbs": ["get"],
        },
        {
            "apiGroups": [naming.GROUP],
            "resources": ["posttrainingcampaigns/status"],
            "resourceNames": [campaign],
            "verbs": ["get", "patch"],
        },
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": [naming.agent_state_config_map(campaign)],
            "verbs": ["get", "update", "patch"],
        },
    ]
    if run_pods:  # an empty resourceNames would grant every pod's logs
        rules.append(
            {
                "apiGroups": [""],
                "resources": ["pods/log"],
                "resourceNames": sorted(run_pods),
                "verbs": ["get"],
            }
        )
    name = naming.agent_service_account(campaign)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(name, campaign_body, "agent"),
        "rules": rules,
    }


def build_role_binding(campaign_body: dict[str, Any]) -> dict[str, Any]:
    name = naming.agent_service_account(campaign_body["metadata"]["name"])
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(name, campaign_body, "agent"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": name,
                "namespace": campaign_body["metadata"]["namespace"],
            }
        ],
    }


def build_state_config_map(campaign_body: dict[str, Any]) -> dict[str, Any]:
    name = naming.agent_state_config_map(campaign_body["metadata"]["name"])
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(name, campaign_body, "agent"),
        "data": {},
    }


def build_agent_job(
    campaign_body: dict[str, Any], campaign: PostTrainingCampaign, settings: OperatorSettings
) -> dict[str, Any]:
    name = campaign.metadata["name"]
    agent = campaign.spec.agent
    container: dict[str, Any] = {
        "name": "agent",
        "image": agent.image or settings.agent_image,
        "command": ["kintern", "agent"],
        "env": [
            {"name": "KINTERN_CAMPAIGN", "value": name},
            {"name": "KINTERN_NAMESPACE", "value": campaign.metadata["namespace"]},
        ],
        "resources": {"requests": {"cpu": settings.agent_cpu, "memory": settings.agent_memory}},
        "securityContext": restricted_container_security(),
    }
    if agent.credentials_secret:
        # Keys of the Secret become environment variables; their values never pass
        # through the operator or the campaign's status.
        container["envFrom"] = [{"secretRef": {"name": agent.credentials_secret}}]
    labels = naming.campaign_labels(name, "agent")
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(naming.agent_job(name), campaign_body, "agent"),
        "spec": {
            "backoffLimit": settings.agent_backoff_limit,
            "suspend": False,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": naming.agent_service_account(name),
                    "restartPolicy": "Never",
                    "securityContext": restricted_pod_security(),
                    "containers": [container],
                },
            },
        },
    }
