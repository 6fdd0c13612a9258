"""What the chart ships is generated, never hand-edited: its CRDs and admission policies
are copies of crds/ (`make chart-crds`), its dashboard is what
kintern.observability.dashboard builds (`make dashboard`), and every series the dashboard
and the alerts read is one the operator exports.
"""

import json

import yaml

from kintern.observability import dashboard
from tests.support.dashboards import (
    PROMETHEUS_SERIES,
    operator_series,
    panel_queries,
    series_used,
    variable_queries,
)
from tests.support.helm import CHART, REPO_ROOT, Helm, find

CHART_CRDS = CHART / "crds"
POLICIES = REPO_ROOT / "crds/kintern.dev_admission-policies.yaml"
DASHBOARD = CHART / "dashboards/kintern.json"


def test_chart_crds_are_exact_copies_of_the_crds_in_crds_dir() -> None:
    source = {p.name: p.read_text() for p in (REPO_ROOT / "crds").glob("*.yaml") if p != POLICIES}
    copied = {p.name: p.read_text() for p in CHART_CRDS.glob("*.yaml")}
    assert sorted(copied) == sorted(source), "run `make chart-crds`"
    for name, text in source.items():
        assert copied[name] == text, f"charts/kintern/crds/{name} is stale: run `make chart-crds`"
        kinds = {d["kind"] for d in yaml.safe_load_all(text) if d}
        assert kinds == {"CustomResourceDefinition"}, f"{name}: Helm's crds/ is for CRDs only"


def test_chart_admission_policies_are_an_exact_copy() -> None:
    copied = CHART / "files/admission-policies.yaml"
    assert copied.read_text() == POLICIES.read_text(), "stale policies: run `make chart-crds`"


def test_admission_policies_are_templated_so_upgrades_update_them(helm: Helm) -> None:
    policies = [d for d in yaml.safe_load_all(POLICIES.read_text()) if d]
    rendered = helm.render()
    for policy in policies:
        assert find(rendered, policy["kind"], policy["metadata"]["name"]) == [policy]
    off = helm.render(values={"admissionPolicies.enabled": False})
    assert not [d for d in off if "AdmissionPolicy" in d["kind"]]


def test_committed_dashboard_is_what_the_generator_builds() -> None:
    assert DASHBOARD.read_text() == dashboard.render(), "stale dashboard: run `make dashboard`"


def test_dashboard_covers_the_campaign_lifecycle() -> None:
    board = json.loads(DASHBOARD.read_text())
    titles = {q.panel for q in panel_queries(board)}
    assert titles >= {
        "Campaigns by phase",
        "Best score over time",
        "GPU-hours used against budget",
        "Runs by phase",
        "Approvals pending",
        "Approval wait",
        "Reconcile latency",
        "Reconciles and errors",
        "Agent iterations",
        "Agent tokens",
    }
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_dashboard_reads_only_series_the_operator_exports() -> None:
    board = json.loads(DASHBOARD.read_text())
    exported = operator_series()
    expressions = [q.expr for q in panel_queries(board)]
    expressions += [v.selector for v in variable_queries(board)]
    for expr in expressions:
        used = series_used(expr)
        assert used, f"no kintern_ series in {expr}"
        assert used <= exported, f"{expr} reads {used - exported}, which the operator lacks"


def test_alerts_read_only_series_the_operator_or_prometheus_exports(helm: Helm) -> None:
    (rule,) = find(helm.render(values={"prometheusRule.enabled": True}), "PrometheusRule")
    exported = operator_series()
    for group in rule["spec"]["groups"]:
        for alert in group["rules"]:
            used = series_used(alert["expr"])
            assert used, f"{alert['alert']} reads no known series"
            unknown = used - exported - PROMETHEUS_SERIES
            assert not unknown, f"{alert['alert']} reads {unknown}, which nothing exports"
