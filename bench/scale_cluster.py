"""The cluster side of the operator scale benchmark (bench/operator_scale.py): a local
control plane with N fake H100 nodes (or an existing one), the CRDs, the identities whose
API requests the apiserver counts, and the operator as a real process.

Request counting: each identity (the operator's ServiceAccount, the plain client's) gets
its own FlowSchema at the priority level a ServiceAccount gets anyway (workload-low), so
`apiserver_flowcontrol_dispatched_requests_total{flow_schema=...}` counts exactly its
requests, watches included, as the apiserver itself saw them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config

from kintern.devcluster import ClusterConfig, RunningCluster, up
from kintern.devcluster.kubeconfig import write_token_kubeconfig
from kintern.devcluster.kubectl import kubectl
from kintern.devcluster.ports import free_ports

REPO = Path(__file__).resolve().parents[1]
BENCH_NAMESPACE = "kintern-bench"
PRIORITY_LEVEL = "workload-low"  # where the apiserver puts any ServiceAccount by default
TOKEN_SECONDS = 6 * 3600


@dataclass
class Cluster:
    """Admin access to the cluster the benchmark runs on."""

    kubeconfig: Path
    api: client.ApiClient
    started: RunningCluster | None  # None when the benchmark reuses a running cluster

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        argv = [str(kubectl()), f"--kubeconfig={self.kubeconfig}", *args]
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr}")
        return done.stdout

    def gpu_nodes(self) -> int:
        nodes = client.CoreV1Api(self.api).list_node(label_selector="kintern.dev/pool=gpu")
        return len(nodes.items)


def start_or_connect(kubeconfig: Path | None, state_dir: Path, nodes: int, cpu: int) -> Cluster:
    """The cluster at `kubeconfig`, or a new local one with `nodes` H100 nodes."""
    started = None
    if kubeconfig is None:
        log(f"starting a local control plane with {nodes} fake H100 nodes in {state_dir}")
        started = up(ClusterConfig(state_dir, gpu_nodes=nodes, cpu_nodes=cpu, timeout_seconds=600))
        kubeconfig = started.kubeconfig
    api = config.new_client_from_config(config_file=str(kubeconfig))
    cluster = Cluster(kubeconfig, api, started)
    apply_crds(cluster)
    return cluster


def apply_crds(cluster: Cluster) -> None:
    """crds/ applied server-side, Established, and the admission policies acting on them."""
    crds = str(REPO / "crds")
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", crds)
    names = [
        n
        for n in cluster.kubectl("get", "-f", crds, "-o", "name").split()
        if n.startswith("customresourcedefinition")
    ]
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=120s", *names)
    probe = {
        "apiVersion": "kintern.dev/v1alpha1",
        "kind": "TrainingRun",
        "metadata": {"name": "bench-probe", "annotations": {"kintern.dev/approve": "true"}},
        "spec": {"campaign": "bench-probe", "recipe": "eval"},
    }
    custom = client.CustomObjectsApi(cluster.api)
    for _ in range(300):  # a policy on a new kind answers 503 for a few seconds
        try:
            custom.create_namespaced_custom_object(
                "kintern.dev", "v1alpha1", "default", "trainingruns", probe, dry_run="All"
            )
            return
        except client.ApiException as err:
            if err.status != 503:
                return
        time.sleep(0.2)


def create_namespaces(cluster: Cluster, names: list[str]) -> None:
    core = client.CoreV1Api(cluster.api)
    for name in names:
        core.create_namespace({"metadata": {"name": name, "labels": {"kintern.dev/bench": "1"}}})


def identity(cluster: Cluster, name: str, workdir: Path) -> Path:
    """A ServiceAccount `name` with cluster-admin, its own FlowSchema, and a kubeconfig."""
    core, rbac = client.CoreV1Api(cluster.api), client.RbacAuthorizationV1Api(cluster.api)
    core.create_namespaced_service_account(BENCH_NAMESPACE, {"metadata": {"name": name}})
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name, "labels": {"kintern.dev/bench": "1"}},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": BENCH_NAMESPACE}],
        }
    )
    client.FlowcontrolApiserverV1Api(cluster.api).create_flow_schema(_flow_schema(name))
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=TOKEN_SECONDS)
    )
    token = core.create_namespaced_service_account_token(name, BENCH_NAMESPACE, request)
    user = f"system:serviceaccount:{BENCH_NAMESPACE}:{name}"
    ca = Path(cluster.api.configuration.ssl_ca_cert)
    path = workdir / f"{name}.kubeconfig"
    return write_token_kubeconfig(
        path, cluster.api.configuration.host, ca, token.status.token, user
    )


def _flow_schema(name: str) -> dict[str, object]:
    everything = {
        "verbs": ["*"],
        "apiGroups": ["*"],
        "resources": ["*"],
        "clusterScope": True,
        "namespaces": ["*"],
    }
    subject = {
        "kind": "ServiceAccount",
        "serviceAccount": {"name": name, "namespace": BENCH_NAMESPACE},
    }
    return {
        "metadata": {"name": name, "labels": {"kintern.dev/bench": "1"}},
        "spec": {
            "priorityLevelConfiguration": {"name": PRIORITY_LEVEL},
            "matchingPrecedence": 500,
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [
                {
                    "subjects": [subject],
                    "resourceRules": [everything],
                    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                }
            ],
        },
    }


def requests_of(cluster: Cluster, name: str) -> float:
    """API requests the apiserver dispatched for identity `name` so far."""
    total = 0.0
    for line in cluster.kubectl("get", "--raw", "/metrics").splitlines():
        if line.startswith("apiserver_flowcontrol_dispatched_requests_total{") and (
            f'flow_schema="{name}"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE", "APPLY")


def writes_of_everyone(cluster: Cluster) -> float:
    """Writes the apiserver has served so far, from every client (the benchmark, the
    operator, the controllers, kwok): what etcd and the apiserver's admission must carry."""
    total = 0.0
    for line in cluster.kubectl("get", "--raw", "/metrics").splitlines():
        if line.startswith("apiserver_request_total{") and any(
            f'verb="{verb}"' in line for verb in WRITE_VERBS
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


class OperatorProcess:
    """`kintern operator` watching the benchmark's namespaces, as its ServiceAccount."""

    def __init__(
        self, kubeconfig: Path, namespaces: list[str], log_path: Path, tree: Path | None = None
    ) -> None:
        metrics, liveness = free_ports(2)
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "KINTERN_METRICS_PORT": str(metrics),
            "KINTERN_LEADER_LEASE_NAMESPACE": BENCH_NAMESPACE,
        }
        if tree is not None:
            # Only that tree's code: `kintern` and `kintern_operator` both come from it.
            env["PYTHONPATH"] = f"{tree.resolve()}:{tree.resolve() / 'operator'}"
        argv = [sys.executable, "-m", "kintern", "operator", "--liveness-port", str(liveness)]
        for namespace in namespaces:
            argv += ["-n", namespace]
        self.log_path, self.metrics_port = log_path, metrics
        with log_path.open("ab") as out:
            out.write(f"PYTHONPATH={env.get('PYTHONPATH', '')}\n".encode())
            self.popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def peak_rss_mib(self) -> float:
        """The most resident memory the process has had (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def reconciles(self) -> tuple[float, float]:
        """(campaign reconciles so far, seconds spent in them), from its own metrics."""
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics").read()
        found = {"count": 0.0, "sum": 0.0}
        for line in text.decode().splitlines():
            for part in found:
                if line.startswith(f"kintern_reconcile_duration_seconds_{part} "):
                    found[part] = float(line.split()[1])
        return found["count"], found["sum"]

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far (user + system)."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def clean_up(cluster: Cluster, namespaces: list[str]) -> None:
    """Delete what the benchmark made on a cluster it did not start (not awaited)."""
    core = client.CoreV1Api(cluster.api)
    for name in [*namespaces, BENCH_NAMESPACE]:
        try:
            core.delete_namespace(name)
        except client.ApiException as err:
            if err.status != 404:
                raise
    selector = "kintern.dev/bench=1"
    rbac, flow = (
        client.RbacAuthorizationV1Api(cluster.api),
        client.FlowcontrolApiserverV1Api(cluster.api),
    )
    for binding in rbac.list_cluster_role_binding(label_selector=selector).items:
        rbac.delete_cluster_role_binding(binding.metadata.name)
    for schema in flow.list_flow_schema(label_selector=selector).items:
        flow.delete_flow_schema(schema.metadata.name)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
