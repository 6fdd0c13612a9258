"""The chart's RBAC for the operator is what its code calls, plus what it must hold to
grant the agent's Role (Kubernetes refuses to let anyone grant rights it lacks), and
nothing else. tests/integration/test_chart_rbac.py proves the same on a real apiserver.
"""

from typing import Any

import pytest

from kintern_operator.builders.agent import build_role
from tests.support.builders import campaign_dict
from tests.support.helm import Helm, find

Rights = dict[tuple[str, str], set[str]]

# What operator/kintern_operator calls (kube.py, leader.py) and kopf watches (handlers.py).
USED: Rights = {
    ("kintern.dev", "posttrainingcampaigns"): {"get", "list", "watch"},
    ("kintern.dev", "posttrainingcampaigns/status"): {"patch"},
    ("kintern.dev", "trainingruns"): {"list", "watch", "patch"},
    ("kintern.dev", "trainingruns/status"): {"patch"},
    ("batch", "jobs"): {"list", "watch", "create", "patch", "delete"},
    ("", "pods"): {"list", "watch"},
    ("", "serviceaccounts"): {"create", "get"},
    ("", "configmaps"): {"create", "get"},
    ("rbac.authorization.k8s.io", "roles"): {"create", "get"},
    ("rbac.authorization.k8s.io", "rolebindings"): {"create", "get"},
    ("", "events"): {"create"},
}
NEVER = {"escalate", "bind", "impersonate", "*"}


def _rights(rules: list[dict[str, Any]]) -> Rights:
    out: Rights = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def _agent_rights() -> Rights:
    body = campaign_dict("demo")
    body["metadata"]["uid"] = "0"
    return _rights(build_role(body)["rules"])


@pytest.fixture
def operator_rules(helm: Helm) -> list[dict[str, Any]]:
    (role,) = find(helm.render(), "ClusterRole", "kintern")
    return list(role["rules"])


def test_operator_holds_exactly_what_it_uses_and_what_it_grants(
    operator_rules: list[dict[str, Any]],
) -> None:
    expected: Rights = {k: set(v) for k, v in USED.items()}
    for key, verbs in _agent_rights().items():
        expected.setdefault(key, set()).update(verbs)
    assert _rights(operator_rules) == expected


def test_operator_rules_name_no_wildcard_secret_or_escalation(
    operator_rules: list[dict[str, Any]],
) -> None:
    for rule in operator_rules:
        assert "*" not in rule["apiGroups"] + rule["resources"]
        assert not set(rule["verbs"]) & NEVER
        assert not {"secrets", "nodes", "namespaces", "pods/exec"} & set(rule["resources"])


def test_cluster_wide_by_default_and_per_namespace_when_listed(helm: Helm) -> None:
    default = helm.render()
    assert [b["roleRef"]["name"] for b in find(default, "ClusterRoleBinding")] == [
        "kintern",
        "kintern-discovery",
    ]
    scoped = helm.render(values={"operator.watchNamespaces": ["research", "lab"]})
    bindings = [b for b in find(scoped, "RoleBinding") if b["roleRef"]["kind"] == "ClusterRole"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["lab", "research"]
    assert [b["roleRef"]["name"] for b in find(scoped, "ClusterRoleBinding")] == [
        "kintern-discovery"
    ]
    (discovery,) = find(scoped, "ClusterRole", "kintern-discovery")
    assert _rights(discovery["rules"]) == {
        ("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"},
        ("", "namespaces"): {"list", "watch"},
    }


def test_leader_election_touches_only_its_own_lease(helm: Helm) -> None:
    (role,) = find(helm.render(), "Role", "kintern-leader-election")
    assert role["metadata"]["namespace"] == "kintern-system"
    by_verbs = {tuple(r["verbs"]): r.get("resourceNames") for r in role["rules"]}
    assert by_verbs == {("create",): None, ("get", "update"): ["kintern-operator"]}
    off = helm.render(values={"operator.leaderElection": {"enabled": False}})
    assert not find(off, "Role")
