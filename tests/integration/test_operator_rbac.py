"""The agent's ServiceAccount has exactly the rights it needs, proven by the apiserver."""

import pytest
from kubernetes import client

from tests.support.access import allowed
from tests.support.kintern_api import KinternApi, agent_identity
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


ALLOWED = [
    ("create", "trainingruns", "kintern.dev", None, None),
    ("list", "trainingruns", "kintern.dev", None, None),
    ("watch", "trainingruns", "kintern.dev", None, None),
    ("get", "posttrainingcampaigns", "kintern.dev", "demo", None),
    ("patch", "posttrainingcampaigns", "kintern.dev", "demo", "status"),
    ("update", "configmaps", "", "demo-agent-state", None),
]
DENIED = [
    ("get", "secrets", "", None, None),
    ("list", "secrets", "", None, None),
    ("create", "jobs", "batch", None, None),
    ("create", "pods", "", None, None),
    ("delete", "trainingruns", "kintern.dev", None, None),
    ("patch", "trainingruns", "kintern.dev", None, None),
    ("patch", "trainingruns", "kintern.dev", None, "status"),
    ("update", "posttrainingcampaigns", "kintern.dev", "demo", None),
    ("patch", "posttrainingcampaigns", "kintern.dev", "demo", None),
    ("get", "posttrainingcampaigns", "kintern.dev", "other", None),
    ("patch", "posttrainingcampaigns", "kintern.dev", "other", "status"),
    ("get", "configmaps", "", "other-config", None),
    ("get", "pods", "", None, "log"),
]


def test_agent_service_account_has_exactly_its_rights(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign()
        admin.wait_campaign("Running")
        rbac = client.RbacAuthorizationV1Api(cluster.api)
        eventually(
            lambda: rbac.list_namespaced_role_binding(namespace).items, "the agent RoleBinding"
        )
    user = f"system:serviceaccount:{namespace}:{agent_identity()}"
    for verb, resource, group, name, sub in ALLOWED:
        assert allowed(cluster.api, user, verb, resource, namespace, group, sub, name), (
            verb,
            resource,
        )
    for verb, resource, group, name, sub in DENIED:
        assert not allowed(cluster.api, user, verb, resource, namespace, group, sub, name), (
            verb,
            resource,
            name,
            sub,
        )
    assert not allowed(cluster.api, user, "list", "trainingruns", "kube-system", "kintern.dev")


def test_forbidden_calls_with_the_agent_token_fail(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign()
        admin.wait_campaign("Running")
        token_api = cluster.service_account_client(namespace, agent_identity())
        user = f"system:serviceaccount:{namespace}:{agent_identity()}"
        eventually(
            lambda: allowed(cluster.api, user, "create", "trainingruns", namespace, "kintern.dev"),
            "the agent's Role",
        )
    core, batch = client.CoreV1Api(token_api), client.BatchV1Api(token_api)
    attempts = {
        "read secrets": lambda: core.list_namespaced_secret(namespace),
        "create a pod": lambda: core.create_namespaced_pod(namespace, _pod()),
        "create a job": lambda: batch.create_namespaced_job(namespace, _job()),
        "raise its budget": lambda: KinternApi(token_api, namespace).patch_campaign(
            "demo", {"budget": {"gpuHours": 1000}}
        ),
    }
    for what, attempt in attempts.items():
        with pytest.raises(client.ApiException) as err:
            attempt()
        assert err.value.status == 403, what
    assert admin.campaign()["spec"]["budget"]["gpuHours"] == 10


def _pod():
    return {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "x", "image": "x"}]}}


def _job():
    return {
        "metadata": {"name": "x"},
        "spec": {
            "template": _pod()
            | {"spec": {"restartPolicy": "Never", "containers": [{"name": "x", "image": "x"}]}}
        },
    }
