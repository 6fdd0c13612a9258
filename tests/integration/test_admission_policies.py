"""The cluster itself records who approved, and keeps the agent from approving or escalating.

Each case acts with a real identity (the admin certificate, a reviewer's or the agent's
ServiceAccount token) and is judged by the apiserver's admission policies.
"""

import pytest
from kubernetes import client

from tests.support.kintern_api import KinternApi, agent_identity
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


def _reviewer(cluster, namespace) -> client.ApiClient:
    """A person's stand-in: a ServiceAccount allowed to annotate runs, nothing more."""
    core, rbac = client.CoreV1Api(cluster.api), client.RbacAuthorizationV1Api(cluster.api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "reviewer"}})
    rule = {"apiGroups": ["kintern.dev"], "resources": ["trainingruns"], "verbs": ["get", "patch"]}
    rbac.create_namespaced_role(namespace, {"metadata": {"name": "reviewer"}, "rules": [rule]})
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "reviewer"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "reviewer",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reviewer", "namespace": namespace}],
        },
    )
    return cluster.service_account_client(namespace, "reviewer")


def _approved_by(api: KinternApi, run: str) -> str | None:
    return (api.run(run)["metadata"].get("annotations") or {}).get("kintern.dev/approved-by")


def test_the_apiserver_records_who_approved_and_it_cannot_be_forged(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(**{"approvals.mode": "Manual", "budget.maxConcurrentRuns": 3})
        admin.wait_campaign("Running")
        for name in ("by-admin", "by-reviewer"):
            admin.create_run(name)
            admin.wait_run(name, "AwaitingApproval")
        cluster.kubectl("annotate", "-n", namespace, "trun/by-admin", "kintern.dev/approve=true")
        reviewer = KinternApi(_reviewer(cluster, namespace), namespace)
        # The reviewer tries to put someone else's name on the approval.
        reviewer.annotate_run(
            "by-reviewer",
            {"kintern.dev/approve": "true", "kintern.dev/approved-by": "the-lab-director"},
        )
        run = admin.wait_run("by-reviewer", "Running")
        assert run["status"]["approvedBy"] == f"system:serviceaccount:{namespace}:reviewer"
        assert _approved_by(admin, "by-reviewer") == f"system:serviceaccount:{namespace}:reviewer"
        admin_run = admin.wait_run("by-admin", "Running")
    assert admin_run["status"]["approvedBy"] == "kintern-admin"


def test_the_agent_cannot_approve_reach_other_campaigns_or_rewrite_status(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_campaign(**{"approvals.mode": "Manual"})
        admin.create_campaign("other", **{"approvals.mode": "Manual"})
        admin.wait_campaign("Running")
        eventually(lambda: admin.campaign().get("status", {}).get("best") is not None, "status")
        agent_api = cluster.service_account_client(namespace, agent_identity())
        agent = KinternApi(agent_api, namespace)
        eventually(lambda: _try_list(agent), "the agent's Role")
        refused = {
            "approve at creation": lambda: _create_annotated(agent),
            "propose for another campaign": lambda: agent.create_run("x", campaign="other"),
            "claim a best score": lambda: _patch_status(
                agent_api, namespace, {"best": {"score": 0.99, "run": "made-up"}}
            ),
            "mark itself phase Succeeded": lambda: _patch_status(
                agent_api, namespace, {"phase": "Succeeded"}
            ),
        }
        for what, attempt in refused.items():
            with pytest.raises(client.ApiException) as err:
                attempt()
            assert err.value.status in (403, 422), what
        with pytest.raises(client.ApiException) as err:
            agent.create_run("y", recipe="custom", script={"inline": "1", "hubToken": True})
        assert err.value.status == 403 and "hubToken" in err.value.body
        agent.create_run("z", recipe="custom", script={"inline": "1", "hubToken": False})
        # Its own progress fields are its to write.
        _patch_status(agent_api, namespace, {"usage": {"agentIterations": 7}})
        assert admin.campaign()["status"]["usage"]["agentIterations"] == 7
        assert admin.campaign()["status"].get("best", {}).get("score") is None


def _try_list(agent: KinternApi) -> bool:
    try:
        agent.custom.list_namespaced_custom_object(
            "kintern.dev", "v1alpha1", agent.namespace, "trainingruns"
        )
        return True
    except client.ApiException:
        return False


def _create_annotated(agent: KinternApi) -> None:
    body = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "TrainingRun",
        "metadata": {"name": "self-approved", "annotations": {"kintern.dev/approve": "true"}},
        "spec": {"campaign": "demo", "recipe": "eval"},
    }
    agent.custom.create_namespaced_custom_object(
        "kintern.dev", "v1alpha1", agent.namespace, "trainingruns", body
    )


def _patch_status(api: client.ApiClient, namespace: str, status: dict) -> None:
    client.CustomObjectsApi(api).patch_namespaced_custom_object_status(
        "kintern.dev", "v1alpha1", namespace, "posttrainingcampaigns", "demo", {"status": status}
    )
