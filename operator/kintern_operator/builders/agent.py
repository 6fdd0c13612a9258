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


def build_role(campaign_body: dict[str, Any]) -> dict[str, Any]:
    """What the agent may do: propose and read runs, read its own campaign, and write its
    own progress and memory. No Secrets, Jobs or Pods, and no pod logs: a failed run's log
    tail reaches it, redacted, through the run's status.logTail."""
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


def build_agent_objects(campaign_body: dict[str, Any]) -> list[dict[str, Any]]:
    """The agent's identity, rights and memory, in the order they are created."""
    return [
        build_service_account(campaign_body),
        build_role(campaign_body),
        build_role_binding(campaign_body),
        build_state_config_map(campaign_body),
    ]


# What must match in an existing object for the operator to take it as its own: beside
# the owner, everything that grants rights or hands them on. (A ConfigMap's data is the
# agent's memory and changes; it grants nothing.)
_COMPARED = {
    "ServiceAccount": ("secrets", "imagePullSecrets", "automountServiceAccountToken"),
    "Role": ("rules",),
    "RoleBinding": ("roleRef", "subjects"),
    "ConfigMap": (),
}


def foreign_difference(existing: dict[str, Any], desired: dict[str, Any]) -> str | None:
    """Why `existing` (found under `desired`'s name) is not what the operator would have
    created, or None when it is: the campaign as its controller and the same content."""
    uid = desired["metadata"]["ownerReferences"][0]["uid"]
    owners = existing["metadata"].get("ownerReferences") or []
    if not any(o.get("controller") and o.get("uid") == uid for o in owners):
        return "it is not owned by this campaign"
    for field in _COMPARED[desired["kind"]]:
        if _plain(existing.get(field)) != _plain(desired.get(field)):
            return f"its {field} differ from what the operator grants"
    return None


def _plain(value: Any) -> Any:
    """`value` without empty fields, so a list the apiserver omits equals an empty one."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


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
