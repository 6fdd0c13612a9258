"""The integration tests' view of a running cluster: admin access, kubectl, fresh
namespaces, and real ServiceAccount credentials (TokenRequest) so RBAC is tested for real.

Built by the `cluster` session fixture in `tests/integration/conftest.py`.
"""

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes import client, config

from kintern.api.annotations import APPROVE_ANNOTATION
from kintern.devcluster.cluster import (
    ClusterConfig,
    RunningCluster,
    down,
    start_component,
    stop_component,
    up,
)
from kintern.devcluster.kubeconfig import write_token_kubeconfig
from kintern.devcluster.kubectl import kubectl
from tests.support.wait import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]
CRDS_DIR = REPO_ROOT / "crds"


class KubectlFailed(AssertionError):
    """kubectl exited non-zero where the test expected success."""


@dataclass
class Cluster:
    """A running cluster, seen by a test as its admin (group system:masters)."""

    kubeconfig: Path
    api: client.ApiClient
    workdir: Path
    # The devcluster's state directory, when the tests may restart its components, and
    # whether its processes were started attached to this test session.
    state_dir: Path | None = None
    attached: bool = False

    @classmethod
    def connect(
        cls, kubeconfig: Path, workdir: Path, state_dir: Path | None = None, attached: bool = False
    ) -> "Cluster":
        """Admin access through `kubeconfig`; `workdir` holds ServiceAccount kubeconfigs."""
        workdir.mkdir(parents=True, exist_ok=True)
        api = config.new_client_from_config(config_file=str(kubeconfig))
        return cls(kubeconfig, api, workdir, state_dir, attached)

    def stop_apiserver(self) -> None:
        """Take kube-apiserver away (SIGTERM, SIGKILL after 2 s); etcd and the rest stay."""
        stop_component(self._state_dir(), "kube-apiserver", grace_seconds=2)

    def start_apiserver(self) -> None:
        """Start kube-apiserver again on its port and wait until it is ready."""
        start_component(self._state_dir(), "kube-apiserver", detach=not self.attached)
        eventually(self._admission_knows_training_runs, "admission policies after a restart")

    def pause_apiserver(self) -> None:
        """SIGSTOP kube-apiserver: it still accepts connections (the kernel does that) but
        never answers, the way a hung apiserver or a silent network looks to a client."""
        os.kill(self._apiserver_pid(), signal.SIGSTOP)

    def resume_apiserver(self) -> None:
        """SIGCONT kube-apiserver, and wait until it answers again."""
        os.kill(self._apiserver_pid(), signal.SIGCONT)
        eventually(self._admission_knows_training_runs, "the apiserver to answer again")

    def _apiserver_pid(self) -> int:
        running = RunningCluster.load(self._state_dir())
        records = [p for p in running.processes if p.name == "kube-apiserver"] if running else []
        if not records or not records[0].alive():
            raise AssertionError("kube-apiserver is not running")
        return records[0].pid

    def _state_dir(self) -> Path:
        if self.state_dir is None:
            raise AssertionError(
                "restarting the apiserver needs the devcluster's state directory: let the "
                "fixture start the cluster, or point KINTERN_KUBECONFIG at the admin "
                "kubeconfig of `python -m kintern.devcluster up` (state.json beside it)"
            )
        return self.state_dir

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    @property
    def ca_file(self) -> Path:
        return Path(self.api.configuration.ssl_ca_cert)

    def kubectl(
        self,
        *args: str,
        stdin: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the wheel's kubectl as admin (or with `kubeconfig`); KubectlFailed on error."""
        argv = [str(kubectl()), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args]
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise KubectlFailed(
                f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stderr}{done.stdout}"
            )
        return done

    def service_account_token(
        self, namespace: str, name: str, expiration_seconds: int = 3600
    ) -> str:
        """A bound token for ServiceAccount `namespace/name`, from the TokenRequest API."""
        request = client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=expiration_seconds)
        )
        response = client.CoreV1Api(self.api).create_namespaced_service_account_token(
            name, namespace, request
        )
        assert response.status is not None, "TokenRequest answered without a token"
        return str(response.status.token)

    def service_account_client(self, namespace: str, name: str) -> client.ApiClient:
        """An ApiClient that acts as ServiceAccount `namespace/name` (RBAC applies)."""
        cfg = client.Configuration()
        cfg.host = self.server
        cfg.ssl_ca_cert = str(self.ca_file)
        cfg.api_key = {"authorization": self.service_account_token(namespace, name)}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return client.ApiClient(cfg)

    def service_account_kubeconfig(self, namespace: str, name: str) -> Path:
        """A kubeconfig for ServiceAccount `namespace/name`, for `kubectl(kubeconfig=...)`."""
        path = self.workdir / f"sa-{namespace}-{name}.kubeconfig"
        token = self.service_account_token(namespace, name)
        return write_token_kubeconfig(
            path, self.server, self.ca_file, token, f"system:serviceaccount:{namespace}:{name}"
        )

    def create_namespace(self, hint: str = "test", timeout: float = 30) -> str:
        """A new namespace named after `hint`, once its `default` ServiceAccount exists."""
        slug = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-")[:40].rstrip("-") or "test"
        name = f"{slug}-{uuid.uuid4().hex[:6]}"
        core = client.CoreV1Api(self.api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            accounts = core.list_namespaced_service_account(
                name, field_selector="metadata.name=default"
            )
            if accounts.items:
                return name
            time.sleep(0.1)
        raise TimeoutError(f"namespace {name} got no default ServiceAccount in {timeout:.0f}s")

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace without waiting for it to go."""
        client.CoreV1Api(self.api).delete_namespace(name)

    def apply_crds(self, directory: Path = CRDS_DIR) -> None:
        """Apply crds/ (CRDs and admission policies, server-side), wait until each CRD is
        Established and the admission policies can act on the new kinds."""
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(directory))
        names = [
            n
            for n in self.kubectl("get", "-f", str(directory), "-o", "name").stdout.split()
            if n.startswith("customresourcedefinition")  # the admission policies have no status
        ]
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
        eventually(self._admission_knows_training_runs, "admission policies to see the CRDs")

    def _admission_knows_training_runs(self) -> bool:
        """A dry-run create that the approval-recording MutatingAdmissionPolicy acts on.

        For a few seconds after a CRD is Established, a policy that mutates its kind
        answers 503 "Resource kind ... not found"; any other answer means it is ready.
        """
        probe = {
            "apiVersion": "kintern.dev/v1alpha1",
            "kind": "TrainingRun",
            "metadata": {"name": "admission-probe", "annotations": {APPROVE_ANNOTATION: "true"}},
            "spec": {"campaign": "admission-probe", "recipe": "eval"},
        }
        try:
            client.CustomObjectsApi(self.api).create_namespaced_custom_object(
                "kintern.dev", "v1alpha1", "default", "trainingruns", probe, dry_run="All"
            )
        except client.ApiException as err:
            return err.status != 503
        return True


@contextmanager
def started_cluster(cfg: ClusterConfig, workdir: Path) -> Iterator[Cluster]:
    """A devcluster started for the tests (attached: it dies with pytest if killed), with
    Kintern's CRDs applied; stopped afterwards."""
    started = up(cfg)
    try:
        handle = Cluster.connect(started.kubeconfig, workdir, cfg.state_dir, attached=True)
        handle.apply_crds()
        yield handle
    finally:
        down(cfg.state_dir)


def bound_claim(cluster: Cluster, namespace: str, name: str = "checkpoints") -> str:
    """A PersistentVolumeClaim in `namespace`, bound to a PersistentVolume made for it,
    so that pods mounting it schedule (kwok runs them; nothing is written to the path)."""
    volume = f"{namespace}-{name}"
    manifests = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": volume},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "hostPath": {"path": f"/tmp/kintern-test-volumes/{volume}"},
                "claimRef": {"namespace": namespace, "name": name},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": volume,
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    ]
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(manifests))
    return name
