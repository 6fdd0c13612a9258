"""A real Prometheus scrapes the operator, installed from the chart and run with its
ServiceAccount, while five campaigns play out the situations the dashboard and the alerts
are about; then every dashboard query and every alert expression must evaluate without
error and return data, and Prometheus must hold every alert rule healthy and active.

  won     reaches its target, with a baseline eval (best and baseline scores)
  waits   Manual approvals: one run approved, one left waiting
  gaveup  the agent finishes with nothing trained: the campaign Failed
  spent   an 8-GPU run uses most of a small GPU-hour budget
  broken  started last, under a ResourceQuota that allows no more Jobs: the apiserver
          refuses its agent Job, so reconciles fail (the reconcile-errors alert)

Prometheus scrapes as the chart's monitors do (job label from metrics.jobLabel, labels
honoured) and loads the PrometheusRule's groups as rendered by `helm template`. The
budget alert's ratio is set to 0.5 here: a run cannot outlast its own deadline, so
reaching 90% of a budget in seconds of wall time would hang on timing; the expression
is the one the chart ships. Finally the operator stops, and KinternOperatorDown's
expression must return data too.
"""

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from kintern_agent.backends.kubernetes import progress_patch
from tests.support.cluster import Cluster
from tests.support.dashboards import panel_queries, to_promql, variable_queries
from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.helm import CHART, Helm, find, helm_binary
from tests.support.kintern_api import GROUP, VERSION, KinternApi, agent_identity, result_message
from tests.support.operator import OperatorProcess
from tests.support.prometheus import PrometheusServer
from tests.support.releases import Release, installed
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
JOB = "kintern-operator"  # metrics.jobLabel's default
RATE_INTERVAL = "5m"  # what Grafana would put for $__rate_interval; covers the whole test
OUTCOMES = {
    "trun-won-base": Outcome(0, result_message(0.3), after_seconds=1),
    "trun-won-r1": Outcome(0, result_message(0.7), after_seconds=1),
    "trun-waits-r1": Outcome(0, result_message(0.2), after_seconds=1),
    # 8 GPUs for ~12 s of an 18 s deadline: ~0.027 of a 0.04 GPU-hour budget (>0.5).
    "trun-spent-r1": Outcome(0, result_message(0.1), after_seconds=12),
}


@pytest.fixture
def release(cluster: Cluster, namespace: str) -> Iterator[Release]:
    # The object quota (tested in test_operator_security) would refuse the campaigns made
    # at once after install, until its first count.
    values = {"operator.watchNamespaces": [namespace], "objectQuota.enabled": False}
    with installed(cluster, "kintern-prom", values) as r:
        yield r


def _alert_rules() -> list[dict[str, Any]]:
    values = {"prometheusRule.enabled": True, "prometheusRule.budgetNearlySpent.ratio": 0.5}
    (rule,) = find(Helm(helm_binary()).render(values=values), "PrometheusRule")
    return list(rule["spec"]["groups"])


def _agent(cluster: Cluster, namespace: str, campaign: str) -> KinternApi:
    return KinternApi(
        cluster.service_account_client(namespace, agent_identity(campaign)), namespace
    )


def _report_progress(agent: KinternApi, campaign: str, **progress: Any) -> None:
    """What the agent's Kubernetes backend writes: its own fields of the status only."""
    agent.custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        agent.namespace,
        "posttrainingcampaigns",
        campaign,
        progress_patch(**progress),
    )


def _play_campaigns(cluster: Cluster, namespace: str) -> None:
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign("won", **{"approvals.mode": "Auto", "objective.target": 0.5})
    admin.create_campaign("waits", **{"approvals.mode": "Manual"})
    admin.create_campaign("gaveup", **{"approvals.mode": "Auto"})
    admin.create_campaign(
        "spent",
        **{"approvals.mode": "Auto", "budget.gpuHours": 0.04, "compute.gpusPerRun": 8},
    )
    for name in ("won", "waits", "gaveup", "spent"):
        admin.wait_campaign("Running", name=name)

    won = _agent(cluster, namespace, "won")
    won.create_run("won-base", campaign="won", recipe="eval", datasets=[])
    _agent(cluster, namespace, "spent").create_run(
        "spent-r1", campaign="spent", resources={"hours": 0.005}
    )
    waits = _agent(cluster, namespace, "waits")
    waits.create_run("waits-r1", campaign="waits")
    waits.create_run("waits-r2", campaign="waits")
    _report_progress(
        _agent(cluster, namespace, "gaveup"),
        "gaveup",
        iterations=4,
        tokens=2100,
        cost_usd=0.01,
        summary="no run worth training",
        done=True,
    )

    admin.wait_run("won-base", "Succeeded")
    won.create_run("won-r1", campaign="won")
    _report_progress(
        won, "won", iterations=12, tokens=48000, cost_usd=0.2, summary=None, done=False
    )
    admin.wait_run("waits-r2", "AwaitingApproval")
    admin.wait_run("waits-r1", "AwaitingApproval")
    admin.annotate_run("waits-r1", {"kintern.dev/approve": "true"})
    admin.wait_run("waits-r1", "Succeeded")
    admin.wait_campaign("Succeeded", name="won")
    admin.wait_campaign("Failed", name="gaveup")
    admin.wait_run("spent-r1", "Succeeded", timeout=90)
    _start_broken_campaign(cluster, admin)


def _start_broken_campaign(cluster: Cluster, admin: KinternApi) -> None:
    """A namespace quota that allows no more Jobs: the operator cannot start the agent."""
    jobs = len(client.BatchV1Api(cluster.api).list_namespaced_job(admin.namespace).items)
    quota = {
        "metadata": {"name": "no-more-jobs"},
        "spec": {"hard": {"count/jobs.batch": str(jobs)}},
    }
    client.CoreV1Api(cluster.api).create_namespaced_resource_quota(admin.namespace, quota)
    admin.create_campaign("broken", **{"approvals.mode": "Auto"})


def _data(prometheus: PrometheusServer, expr: str) -> list[dict[str, Any]]:
    return eventually(lambda: prometheus.query(expr), f"data from {expr}", timeout=60)


def _label_values(prometheus: PrometheusServer, label: str, selector: str) -> list[str]:
    return list(prometheus.api(f"label/{label}/values", **{"match[]": selector}))


def _active(prometheus: PrometheusServer, name: str) -> bool:
    return _alert_state(prometheus, name) in ("pending", "firing")


def _alert_state(prometheus: PrometheusServer, name: str) -> str:
    for group in prometheus.api("rules", type="alert")["groups"]:
        for rule in group["rules"]:
            if rule["name"] == name:
                assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"
                return str(rule["state"])
    raise AssertionError(f"Prometheus has no alert rule {name}")


def test_prometheus_scrapes_the_operator_and_every_query_and_alert_returns_data(
    cluster: Cluster, namespace: str, release: Release, tmp_path: Path
) -> None:
    groups = _alert_rules()
    alerts = {rule["alert"]: rule["expr"] for g in groups for rule in g["rules"]}
    board = json.loads((CHART / "dashboards/kintern.json").read_text())
    operator = OperatorProcess(
        release.operator_kubeconfig(cluster),
        namespace,
        tmp_path,
        leader_lease_namespace=release.namespace,
    )
    (tmp_path / "prometheus").mkdir()
    prometheus = PrometheusServer(
        tmp_path / "prometheus",
        JOB,
        [f"127.0.0.1:{operator.metrics_port}"],
        {"namespace": release.namespace},
        groups,
    )
    with prometheus, FakeTrainer(cluster.api, namespace, OUTCOMES):
        with operator:
            _play_campaigns(cluster, namespace)
            for query in panel_queries(board):
                expr = to_promql(query.expr, RATE_INTERVAL)
                assert _data(prometheus, expr), f"{query.panel} ({query.ref})"
            expected = {"namespace": namespace, "campaign": "won"}
            for variable in variable_queries(board):
                selector = to_promql(variable.selector, RATE_INTERVAL)
                values = eventually(
                    partial(_label_values, prometheus, variable.label, selector),
                    f"values of ${variable.variable}",
                )
                assert expected[variable.label] in values
            for name, expr in alerts.items():
                if name != "KinternOperatorDown":
                    assert _data(prometheus, expr), name
                    eventually(partial(_active, prometheus, name), f"{name} to be active")
            _check_values(prometheus, namespace)
            assert _alert_state(prometheus, "KinternOperatorDown") == "inactive"
        # The operator is gone: its target goes down at the next scrape.
        assert _data(prometheus, alerts["KinternOperatorDown"])
        eventually(
            lambda: _alert_state(prometheus, "KinternOperatorDown") == "pending",
            "KinternOperatorDown to be pending",
        )
    _check_broken_campaign(cluster, namespace, operator.logs())


def _value(prometheus: PrometheusServer, expr: str) -> float:
    (sample,) = _data(prometheus, expr)
    return float(sample["value"][1])


def _check_values(prometheus: PrometheusServer, namespace: str) -> None:
    """The data is the campaigns' own, with the campaign's namespace kept."""
    ns = f'namespace="{namespace}"'
    assert _value(prometheus, f'kintern_campaign_best_score{{{ns}, campaign="won"}}') == 0.7
    assert _value(prometheus, f'kintern_campaign_baseline_score{{{ns}, campaign="won"}}') == 0.3
    assert _value(prometheus, f'kintern_campaigns{{{ns}, phase="Failed"}}') == 1
    assert _value(prometheus, f'kintern_approvals_pending{{{ns}, campaign="waits"}}') == 1
    assert _value(prometheus, f'kintern_agent_tokens{{{ns}, campaign="won"}}') == 48000
    ratio = f'kintern_campaign_gpu_hours_used{{{ns}, campaign="spent"}}'
    assert _value(prometheus, ratio) > 0.02
    assert _value(prometheus, "sum(kintern_reconcile_errors_total)") > 0


def _check_broken_campaign(cluster: Cluster, namespace: str, logs: str) -> None:
    """The reconcile errors are the quota refusing the Job (not RBAC, not a bug)."""
    jobs = client.BatchV1Api(cluster.api).list_namespaced_job(namespace).items
    assert "broken-agent" not in {j.metadata and j.metadata.name for j in jobs}
    assert "exceeded quota" in logs, logs[-2000:]
    assert "cannot create resource" not in logs  # no RBAC refusal
