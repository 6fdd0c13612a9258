"""A whole campaign in real containers (`make cluster-quickstart`'s, from examples/): the
chart's operator from its image, the builtin/sweep agent from its image, and real
`kintern train` pods with TRL on the CPU of the real node, all under the `restricted` Pod
Security Standard, sharing checkpoints through a PersistentVolumeClaim. A person approves
every run with `kubectl annotate` (the runs ask for no GPU, so a policy would approve
them all by itself).

GPU semantics stay with kwok's fake H100 pool and the integration tests; the real node
advertises no GPU and runs CPU work only.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from kintern import __version__
from kintern.devcluster.realnode_config import NODE_NAME
from kintern.images import CPU_TAG_SUFFIX, IMAGE_UID
from kintern.local.quickstart import build_material
from tests.support.cluster import Cluster
from tests.support.kintern_api import GROUP, VERSION
from tests.support.releases import Release, installed
from tests.support.wait import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}
CAMPAIGN = "quickstart"  # examples/cluster-quickstart.yaml, which this test runs
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CAMPAIGN_TIMEOUT = 1500.0  # seconds; about 5 minutes on a quiet 2-core machine


def _material_on_the_claim(root: Path) -> Path:
    """The quickstart's tiny model and task, placed where the claim's volume lives. Owned
    by root and not writable by anyone else, as on a fresh volume: only the Jobs' fsGroup
    lets the trainers (UID 65532) write their checkpoints there."""
    build_material(root / "quickstart")
    root.chmod(0o755)
    assert root.stat().st_uid == 0 and IMAGE_UID != 0
    return root


def _shared_claim(cluster: Cluster, namespace: str, host_dir: Path) -> None:
    """examples/cluster-quickstart-volume.yaml, on this test's directory and namespace."""
    pv, pvc = yaml.safe_load_all((EXAMPLES / "cluster-quickstart-volume.yaml").read_text())
    pv["metadata"]["name"] = f"{namespace}-checkpoints"
    pv["spec"]["local"]["path"] = str(host_dir)
    pv["spec"]["claimRef"]["namespace"] = pvc["metadata"]["namespace"] = namespace
    pvc["spec"]["volumeName"] = pv["metadata"]["name"]
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all([pv, pvc]))


def _campaign(namespace: str) -> dict[str, Any]:
    """examples/cluster-quickstart.yaml, in this test's namespace."""
    body = yaml.safe_load((EXAMPLES / "cluster-quickstart.yaml").read_text())
    body["metadata"]["namespace"] = namespace
    return dict(body)


def _custom(cluster: Cluster) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(cluster.api)


def _runs(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    found = _custom(cluster).list_namespaced_custom_object(
        GROUP, VERSION, namespace, "trainingruns"
    )
    return sorted(found["items"], key=lambda r: r["metadata"]["creationTimestamp"])


def _phase(obj: dict[str, Any]) -> str:
    return str((obj.get("status") or {}).get("phase", ""))


def _approve_until_done(cluster: Cluster, namespace: str) -> tuple[dict[str, Any], list[str]]:
    """Play the person: approve each run that waits, with kubectl, until the campaign
    ends. Returns the ended campaign and the runs approved."""
    approved: list[str] = []
    deadline = time.monotonic() + CAMPAIGN_TIMEOUT
    while time.monotonic() < deadline:
        for run in _runs(cluster, namespace):
            name = run["metadata"]["name"]
            if _phase(run) == "AwaitingApproval" and name not in approved:
                cluster.kubectl(
                    "annotate", f"trun/{name}", "kintern.dev/approve=true", "-n", namespace
                )
                cluster.kubectl("wait", "--for=condition=Approved", f"trun/{name}", "-n", namespace)
                approved.append(name)
        campaign = _custom(cluster).get_namespaced_custom_object(
            GROUP, VERSION, namespace, "posttrainingcampaigns", CAMPAIGN
        )
        if _phase(campaign) in ("Succeeded", "Failed"):
            return campaign, approved
        time.sleep(2)
    raise TimeoutError(
        f"campaign {CAMPAIGN} did not end in {CAMPAIGN_TIMEOUT:.0f} s:\n"
        + cluster.kubectl("get", "ptc,trun,jobs,pods", "-n", namespace, "-o", "wide").stdout
    )


def _operator_is_serving(cluster: Cluster, release: Release) -> None:
    """The operator from its image: Ready by the kubelet's probes of /healthz, and its
    metrics answer through the chart's Service (via the apiserver's service proxy)."""
    cluster.kubectl(
        "rollout", "status", f"deployment/{release.name}", "-n", release.namespace,
        "--timeout=300s",
    )  # fmt: skip
    pods = client.CoreV1Api(cluster.api).list_namespaced_pod(
        release.namespace, label_selector="app.kubernetes.io/component=operator"
    )
    pod = pods.items[0]
    assert pod.spec.node_name == NODE_NAME
    health = cluster.kubectl(
        "get", "--raw", f"/api/v1/namespaces/{release.namespace}/pods/"
        f"{pod.metadata.name}:8081/proxy/healthz",
    )  # fmt: skip
    assert health.stdout.strip() == "ok"
    service = f"services/{release.name}-metrics:metrics"
    path = f"/api/v1/namespaces/{release.namespace}/{service}/proxy/metrics"

    def campaigns_metric() -> str | None:
        text = cluster.kubectl("get", "--raw", path, check=False).stdout
        return text if "kintern_campaigns" in text else None

    eventually(campaigns_metric, "kintern_* metrics through the Service", timeout=60)


def _quotas_counted(cluster: Cluster, namespace: str) -> None:
    """The chart's object quota in the campaign namespace has had its first count: until
    then the apiserver refuses creates ("status unknown for quota"), as it would a person
    applying a campaign within seconds of `helm install`."""

    def counted() -> bool:
        quotas = client.CoreV1Api(cluster.api).list_namespaced_resource_quota(namespace).items
        return bool(quotas) and all(
            q.status and q.status.used and set(q.spec.hard) <= set(q.status.used) for q in quotas
        )

    eventually(counted, "the chart's object quota to be counted", timeout=180)


def _score(run: dict[str, Any]) -> dict[str, float]:
    return run["status"]["result"]["score"]


def test_a_sweep_campaign_improves_the_model_in_real_pods(
    real_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cluster = real_cluster
    claim_dir = _material_on_the_claim(tmp_path_factory.mktemp("claim"))
    namespace = cluster.create_namespace("e2e-campaigns")
    cluster.kubectl("label", "namespace", namespace, *(f"{k}={v}" for k, v in RESTRICTED.items()))
    _shared_claim(cluster, namespace, claim_dir)
    values = {
        "operator.watchNamespaces": [namespace],
        "operator.resyncSeconds": 5,
        "trainer.image.tag": __version__ + CPU_TAG_SUFFIX,  # the real node has no GPU
    }
    with installed(cluster, "e2e-kintern", values, namespace_labels=RESTRICTED) as release:
        _operator_is_serving(cluster, release)
        _quotas_counted(cluster, namespace)
        cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(_campaign(namespace)))
        campaign, approved = _approve_until_done(cluster, namespace)
        runs = _runs(cluster, namespace)
        trainer_log = _a_trainer_log(cluster, namespace, runs)
        report = cluster_report(cluster, namespace, tmp_path_factory.mktemp("report"))
        events = cluster.kubectl("get", "events", "-n", namespace).stdout

    status = campaign["status"]
    assert _phase(campaign) == "Succeeded", json.dumps(status, indent=2)
    assert "violates PodSecurity" not in events
    by_name = {r["metadata"]["name"]: r for r in runs}
    assert approved == [r["metadata"]["name"] for r in runs]  # every run, by a person
    assert all(_phase(r) == "Succeeded" for r in runs), [(n, _phase(r)) for n, r in by_name.items()]

    # Real training moved the score beyond both 95% intervals.
    baseline = _score(by_name[f"{CAMPAIGN}-baseline"])
    trained = next(r for r in runs if r["spec"]["recipe"] == "sft")
    best = _score(trained)
    assert best["ciLow"] > baseline["ciHigh"], (baseline, best)
    assert best["value"] - baseline["value"] >= 0.25
    assert status["best"]["score"] >= best["value"]

    # The final evaluation read the trained run's checkpoint from the shared claim.
    final = by_name[f"{CAMPAIGN}-final"]
    assert final["spec"]["model"] == f"run:{trained['metadata']['name']}"
    assert _score(final)["value"] == pytest.approx(best["value"], abs=0.02)
    checkpoint = Path(trained["status"]["result"]["checkpoint"])
    assert (claim_dir / checkpoint.relative_to("/checkpoints") / "config.json").exists()
    assert list((claim_dir / "trackio").rglob("*")), "Trackio wrote nothing on the claim"

    assert "train" in trainer_log.lower() and "loss" in trainer_log
    for name in by_name:
        assert name in report


def _a_trainer_log(cluster: Cluster, namespace: str, runs: list[dict[str, Any]]) -> str:
    """`kubectl logs` of the SFT run's pod: the training log, as a person reads it."""
    sft = next(r for r in runs if r["spec"]["recipe"] == "sft")
    job = sft["status"]["jobName"]
    return cluster.kubectl("logs", f"job/{job}", "-n", namespace).stdout


def cluster_report(cluster: Cluster, namespace: str, out: Path) -> str:
    """`kintern report` against the cluster, as a person runs it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "kintern", "report", CAMPAIGN, "-n", namespace,
         "--output", str(out)],
        env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "report.png").exists()
    return (out / "report.md").read_text()
