"""values.schema.json refuses wrong values at install time, naming the offending key."""

from typing import Any

import pytest

from tests.support.helm import Helm

# (values, a fragment the error must contain)
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "misspelt-key",
        {"operator.imagee": {"tag": "x"}},
        "at '/operator': additional properties 'imagee' not allowed",
    ),
    (
        "log-format-not-an-option",
        {"operator.logFormat": "xml"},
        "at '/operator/logFormat': value must be one of 'json', 'plain'",
    ),
    (
        "namespace-not-a-dns-label",
        {"operator.watchNamespaces": ["Research"]},
        "at '/operator/watchNamespaces/0': 'Research' does not match pattern",
    ),
    (
        "cpu-not-a-quantity",
        {"operator.resources": {"requests": {"cpu": "lots"}}},
        "at '/operator/resources/requests/cpu': 'lots' does not match pattern",
    ),
    (
        "port-out-of-range",
        {"operator.ports": {"metrics": 70000}},
        "at '/operator/ports/metrics': maximum: got 70,000, want 65,535",
    ),
    (
        "digest-not-sha256",
        {"operator.image.digest": "latest"},
        "at '/operator/image/digest': 'latest' does not match pattern",
    ),
    (
        "boolean-as-string",
        {"serviceAccount.create": "yes"},
        "at '/serviceAccount/create': got string, want boolean",
    ),
    (
        "interval-as-number",
        {"metrics.serviceMonitor.interval": 30},
        "at '/metrics/serviceMonitor/interval': got number, want string",
    ),
    (
        "ratio-above-one",
        {"prometheusRule.budgetNearlySpent.ratio": 1.5},
        "at '/prometheusRule/budgetNearlySpent/ratio': maximum: got 1.5, want 1",
    ),
    (
        "duration-not-prometheus",
        {"prometheusRule.reconcileErrors.window": "10min"},
        "at '/prometheusRule/reconcileErrors/window': '10min' does not match pattern",
    ),
    (
        "severity-unknown",
        {"prometheusRule.operatorDown.severity": "page"},
        "at '/prometheusRule/operatorDown/severity': value must be one of",
    ),
    (
        "no-api-server-port",
        {"networkPolicy.apiServer.ports": []},
        "at '/networkPolicy/apiServer/ports': minItems: got 0, want 1",
    ),
    (
        "both-monitors",
        {"metrics.serviceMonitor.enabled": True, "metrics.podMonitor.enabled": True},
        "enable metrics.serviceMonitor or metrics.podMonitor, not both",
    ),
    (
        "service-monitor-without-service",
        {"metrics.serviceMonitor.enabled": True, "metrics.service.enabled": False},
        "metrics.serviceMonitor.enabled needs metrics.service.enabled",
    ),
]


@pytest.mark.parametrize(("values", "message"), [pytest.param(v, m, id=i) for i, v, m in REFUSED])
def test_wrong_value_is_refused_with_its_path(
    helm: Helm, values: dict[str, Any], message: str
) -> None:
    done = helm.template(values=values, check=False)
    assert done.returncode != 0, f"helm accepted {values}"
    assert message in done.stderr, done.stderr


def test_the_defaults_and_a_full_override_are_accepted(helm: Helm) -> None:
    values = {
        "operator.watchNamespaces": ["research", "team-a"],
        "operator.resources": {"requests": {"cpu": "250m", "memory": "300Mi"}},
        "prometheusRule.budgetNearlySpent.ratio": 0.75,
        "networkPolicy.apiServer.cidrs": ["10.0.0.1/32", "fd00::1/128"],
    }
    assert helm.template(values=values).returncode == 0
