"""charts/kintern renders, lints and validates, for the defaults and each ci/ values file.

Every rendered manifest is checked against the Kubernetes OpenAPI schemas of the version
the local control plane runs (kubernetes-validate, strict: unknown fields fail). The
Prometheus Operator's kinds are not in those schemas; the PrometheusRule's rule groups
are checked by promtool instead, and the monitors' wiring by the tests below and the
end-to-end scrape in tests/integration/test_chart_prometheus.py.
"""

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from kintern.devcluster.binaries import K8S_VERSION
from kintern_operator.settings import OperatorSettings
from tests.support.helm import HELM_VERSION, REPO_ROOT, Helm, find
from tests.support.prometheus import PROMETHEUS_VERSION, check_rules

PROMETHEUS_OPERATOR_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


@pytest.mark.parametrize(
    ("name", "ours"), [("HELM_VERSION", HELM_VERSION), ("PROMETHEUS_VERSION", PROMETHEUS_VERSION)]
)
def test_tool_versions_match_the_build_script(name: str, ours: str) -> None:
    script = (REPO_ROOT / "hack/build-controlplane.sh").read_text()
    default = re.search(rf'{name}="\$\{{{name}:-(v[0-9.]+)\}}"', script)
    assert default is not None and default.group(1) == ours


def test_helm_lint_passes_strict(helm: Helm, values_files: tuple[Path, ...]) -> None:
    done = helm.lint(values_files)
    assert "0 chart(s) failed" in done.stdout, done.stdout


def test_every_manifest_validates_against_the_kubernetes_schemas(
    helm: Helm, values_files: tuple[Path, ...]
) -> None:
    docs = helm.render(values_files)
    assert find(docs, "Deployment"), "the chart rendered no operator Deployment"
    version = K8S_VERSION.removeprefix("v")
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            assert doc["kind"] in PROMETHEUS_OPERATOR_KINDS
            continue
        kubernetes_validate.validate(doc, version, strict=True)


def test_prometheus_rules_pass_promtool(
    helm: Helm, values_files: tuple[Path, ...], tmp_path: Path
) -> None:
    docs = helm.render(values_files, {"prometheusRule.enabled": True})
    (rule,) = find(docs, "PrometheusRule")
    done = check_rules(rule["spec"]["groups"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert len(alerts) >= 4 and "KinternOperatorDown" in alerts


def _pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = find(docs, "Deployment")
    return deployment["spec"]["template"]["spec"]


def test_operator_pod_meets_the_restricted_pod_security_standard(
    helm: Helm, values_files: tuple[Path, ...]
) -> None:
    pod = _pod_spec(helm.render(values_files))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}


def test_operator_is_probed_and_runs_one_leader(helm: Helm) -> None:
    docs = helm.render()
    (deployment,) = find(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    # Standbys serve /healthz, so a surge pod becomes Ready while the old leader still leads.
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    (ha,) = find(helm.render(values={"operator.replicas": 2}), "Deployment")
    assert ha["spec"]["replicas"] == 2
    (container,) = _pod_spec(docs)["containers"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    env = {e["name"]: e for e in container["env"]}
    assert env["KINTERN_LEADER_ELECTION"]["value"] == "true"
    assert env["KINTERN_LEADER_LEASE_NAMESPACE"]["valueFrom"]["fieldRef"] == {
        "fieldPath": "metadata.namespace"
    }
    assert container["args"][:1] == ["operator"]


def _env(docs: list[dict[str, Any]]) -> dict[str, str]:
    (container,) = _pod_spec(docs)["containers"]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_images_default_to_the_app_version_and_digests_pin(helm: Helm) -> None:
    docs = helm.render()
    (container,) = _pod_spec(docs)["containers"]
    assert container["image"] == "ghcr.io/kintern/operator:0.1.0"
    assert _env(docs)["KINTERN_AGENT_IMAGE"] == "ghcr.io/kintern/agent:0.1.0"
    assert _env(docs)["KINTERN_TRAINER_IMAGE"] == "ghcr.io/kintern/trainer:0.1.0"
    digest = "sha256:" + "ab" * 32
    pinned = helm.render(values={"operator.image.digest": digest, "trainer.image.tag": "t1"})
    (container,) = _pod_spec(pinned)["containers"]
    assert container["image"] == f"ghcr.io/kintern/operator@{digest}"
    assert _env(pinned)["KINTERN_TRAINER_IMAGE"] == "ghcr.io/kintern/trainer:t1"


def test_settings_reach_the_operator_as_its_environment(helm: Helm) -> None:
    env = _env(helm.render(values={"operator.resyncSeconds": 7, "agent.backoffLimit": 1}))
    assert env["KINTERN_RESYNC_SECONDS"] == "7"
    assert env["KINTERN_AGENT_BACKOFF_LIMIT"] == "1"
    assert env["KINTERN_AGENT_CPU"] == "500m"
    assert env["KINTERN_METRICS_PORT"] == "8080"


def test_every_setting_the_chart_passes_is_one_the_operator_reads(
    helm: Helm, values_files: tuple[Path, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings ignores unknown variables: a misspelt name would be lost."""
    (container,) = _pod_spec(helm.render(values_files))["containers"]
    names = {e["name"] for e in container["env"] if e["name"].startswith("KINTERN_")}
    fields = {f"KINTERN_{name.upper()}" for name in OperatorSettings.model_fields}
    assert names <= fields, names - fields
    for name, value in _env(helm.render(values_files)).items():
        if name.startswith("KINTERN_") and value:
            monkeypatch.setenv(name, value)
    OperatorSettings()  # every value parses


def test_node_pool_defaults_reach_the_operator_as_json(helm: Helm) -> None:
    pool = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    toleration = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    env = _env(
        helm.render(values={"nodePool": {"nodeSelector": pool, "tolerations": [toleration]}})
    )
    assert json.loads(env["KINTERN_DEFAULT_NODE_SELECTOR"]) == pool
    assert json.loads(env["KINTERN_DEFAULT_TOLERATIONS"]) == [toleration]
    assert json.loads(_env(helm.render())["KINTERN_DEFAULT_NODE_SELECTOR"]) == {}


def test_optional_objects_are_off_by_default(helm: Helm) -> None:
    kinds = {d["kind"] for d in helm.render()}
    assert kinds.isdisjoint({"NetworkPolicy", *PROMETHEUS_OPERATOR_KINDS})
    assert "ConfigMap" in kinds  # the dashboard: a plain ConfigMap, harmless without Grafana


def test_dashboard_config_map_is_labelled_for_the_grafana_sidecar(helm: Helm) -> None:
    (config_map,) = find(helm.render(), "ConfigMap", "kintern-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert '"uid": "kintern-overview"' in config_map["data"]["kintern.json"]


@pytest.mark.parametrize("kind", ["ServiceMonitor", "PodMonitor"])
def test_monitors_keep_the_campaign_namespace_label_and_set_the_job(helm: Helm, kind: str) -> None:
    key = "serviceMonitor" if kind == "ServiceMonitor" else "podMonitor"
    (monitor,) = find(helm.render(values={f"metrics.{key}.enabled": True}), kind)
    endpoints = monitor["spec"].get("endpoints") or monitor["spec"]["podMetricsEndpoints"]
    (endpoint,) = endpoints
    assert endpoint["honorLabels"] is True  # else Prometheus renames `namespace`
    assert endpoint["port"] == "metrics"
    assert {"targetLabel": "job", "replacement": "kintern-operator"} in endpoint["relabelings"]


def test_network_policy_admits_scrapes_and_reaches_only_dns_and_the_api(helm: Helm) -> None:
    docs = helm.render(values={"networkPolicy.enabled": True})
    (policy,) = find(docs, "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 443, 6443}


def test_network_policies_cover_the_agent_and_trainer_pods_of_each_campaign_namespace(
    helm: Helm,
) -> None:
    values = {"networkPolicy.enabled": True, "operator.watchNamespaces": ["team-a", "team-b"]}
    docs = find(helm.render(values=values), "NetworkPolicy")
    campaign_policies = [d for d in docs if d["metadata"]["namespace"] in ("team-a", "team-b")]
    assert len(campaign_policies) == 4
    for policy in campaign_policies:
        component = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        assert policy["spec"]["ingress"] == []  # nothing connects to them
        ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        # The agent talks to the API and HTTPS services; trainers only load over HTTPS.
        assert ports == ({53, 443, 6443} if component == "agent" else {53, 443})
