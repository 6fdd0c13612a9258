"""The chart's RBAC on a real apiserver: the operator, run with nothing but a token of the
chart's ServiceAccount, takes a campaign from proposal to target (so the rights are
enough), and SubjectAccessReviews show it cannot do what it never needs (so they are
not more than needed). The release watches one namespace, the strictest install.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.support.access import allowed
from tests.support.cluster import Cluster
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, agent_identity, result_message
from tests.support.operator import OperatorProcess
from tests.support.releases import Release, installed
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
AUTO_WITH_TARGET: dict[str, Any] = {"approvals.mode": "Auto", "objective.target": 0.5}


@pytest.fixture
def release(cluster: Cluster, namespace: str) -> Iterator[Release]:
    with installed(cluster, "kintern-rbac", {"operator.watchNamespaces": [namespace]}) as r:
        yield r


def test_operator_with_only_the_charts_credentials_completes_a_campaign(
    cluster: Cluster, namespace: str, release: Release, tmp_path: Path
) -> None:
    kubeconfig = release.operator_kubeconfig(cluster)
    admin = KinternApi(cluster.api, namespace)
    outcome = Outcome(0, result_message(0.71, "/checkpoints/demo-r001"), after_seconds=1)
    with (
        OperatorProcess(
            kubeconfig, namespace, tmp_path, leader_lease_namespace=release.namespace
        ) as operator,
        FakeTrainer(cluster.api, namespace, {"trun-demo-r001": outcome}),
    ):
        admin.create_campaign("demo", **AUTO_WITH_TARGET)
        admin.wait_campaign("Running")
        # The operator granted the agent its Role: Kubernetes allows that only to whoever
        # holds every right in it, so this proves the "to grant" rules are enough.
        role = eventually(lambda: _role(cluster, namespace, agent_identity()), "the agent's Role")
        assert role.rules
        agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
        agent.create_run("demo-r001", rationale="first SFT run")
        assert admin.wait_run("demo-r001", "Succeeded")["status"]["result"]["score"]["value"]
        campaign = admin.wait_campaign("Succeeded")
        assert campaign["status"]["best"]["run"] == "demo-r001"
        logs = operator.logs()
    assert "Forbidden" not in logs and " 403" not in logs, logs
    lease = client.CoordinationV1Api(cluster.api).read_namespaced_lease(
        "kintern-operator", release.namespace
    )
    # It led (the chart's RBAC lets it take the Lease) and gave the Lease up when stopped.
    assert lease.spec and lease.spec.acquire_time and not lease.spec.holder_identity


def _role(cluster: Cluster, namespace: str, name: str) -> client.V1Role | None:
    roles = client.RbacAuthorizationV1Api(cluster.api).list_namespaced_role(namespace).items
    return next((r for r in roles if r.metadata and r.metadata.name == name), None)


# (verb, group, resource, subresource, where): where is "watched" (the campaign
# namespace), "release" (the operator's own), "other" (any other) or None (cluster).
DENIED = [
    ("get", "", "secrets", None, "watched"),
    ("list", "", "secrets", None, None),
    ("watch", "", "secrets", None, "release"),
    ("delete", "", "namespaces", None, None),
    ("create", "", "pods", None, "watched"),
    ("create", "", "pods", "exec", "watched"),
    ("delete", "", "pods", None, "watched"),
    ("list", "", "nodes", None, None),
    ("create", "", "serviceaccounts", "token", "watched"),
    ("impersonate", "", "serviceaccounts", None, "watched"),
    ("impersonate", "", "users", None, None),
    ("escalate", "rbac.authorization.k8s.io", "roles", None, "watched"),
    ("bind", "rbac.authorization.k8s.io", "roles", None, "watched"),
    ("delete", "rbac.authorization.k8s.io", "roles", None, "watched"),
    ("create", "rbac.authorization.k8s.io", "clusterroles", None, None),
    ("create", "rbac.authorization.k8s.io", "clusterrolebindings", None, None),
    ("create", "apiextensions.k8s.io", "customresourcedefinitions", None, None),
    ("delete", "apiextensions.k8s.io", "customresourcedefinitions", None, None),
    ("create", "admissionregistration.k8s.io", "validatingwebhookconfigurations", None, None),
    ("delete", "kintern.dev", "posttrainingcampaigns", None, "watched"),
    ("update", "kintern.dev", "posttrainingcampaigns", None, "watched"),
    ("delete", "kintern.dev", "trainingruns", None, "watched"),
    ("create", "batch", "jobs", None, "other"),
    ("list", "kintern.dev", "posttrainingcampaigns", None, "other"),
    ("delete", "", "configmaps", None, "watched"),
    ("update", "coordination.k8s.io", "leases", None, "watched"),
    ("delete", "coordination.k8s.io", "leases", None, "release"),
]
ALLOWED = [
    ("create", "batch", "jobs", None, "watched"),
    ("patch", "kintern.dev", "trainingruns", "status", "watched"),
    ("watch", "", "pods", None, "watched"),
    ("create", "rbac.authorization.k8s.io", "roles", None, "watched"),
]


def test_chart_grants_no_more_than_the_operator_needs(
    cluster: Cluster, namespace: str, release: Release
) -> None:
    where = {"watched": namespace, "release": release.namespace, "other": "kube-system"}
    wrong = []
    for expected, table in ((False, DENIED), (True, ALLOWED)):
        for verb, group, resource, subresource, place in table:
            ns = where[place] if place else None
            answer = allowed(cluster.api, release.user, verb, resource, ns, group, subresource)
            if answer is not expected:
                what = f"{resource}{'/' + subresource if subresource else ''}"
                wrong.append(f"{verb} {what} in {place or 'the cluster'}: allowed={answer}")
    assert not wrong, "\n".join(wrong)


def test_leader_election_cannot_touch_other_leases(
    cluster: Cluster, namespace: str, release: Release
) -> None:
    user, lease_ns = release.user, release.namespace
    group = "coordination.k8s.io"
    assert allowed(cluster.api, user, "update", "leases", lease_ns, group, name="kintern-operator")
    assert not allowed(cluster.api, user, "update", "leases", lease_ns, group, name="someone-else")
