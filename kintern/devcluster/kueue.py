"""Kueue's controller manager as an optional component of the devcluster (`up --kueue`):
its CRDs, RBAC and webhook configurations applied, and the binary that
`hack/build-controlplane.sh kueue` cached running on 127.0.0.1 with its own
ServiceAccount token and a webhook certificate from the cluster's CA.

Ready means its health probe answers and the apiserver calls its webhooks: a dry-run
Job that names a queue comes back suspended. Called by `cluster.up`.
"""

import datetime
import fcntl
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from kubernetes import client

from kintern.api.names import KUEUE_QUEUE_LABEL
from kintern.devcluster import health, kueue_manifests, pki
from kintern.devcluster.binaries import KUEUE_VERSION, BinariesMissing, cache_root
from kintern.devcluster.kubeconfig import write_token_kubeconfig
from kintern.devcluster.kubectl import kubectl
from kintern.devcluster.layout import Layout, Ports
from kintern.devcluster.process import ProcessRecord, start

NAME = "kueue"
# Kueue v0.17 reads its metrics serving certificate from this fixed path whenever its
# internal cert management is off (cmd/kueue/main.go); nothing configures it.
METRICS_CERT_DIR = Path("/etc/kueue/metrics/certs")
# The ServiceAccount token Kueue runs with outlives any test session or working day.
_TOKEN_SECONDS = 7 * 24 * 3600
_PROBE_JOB = "kueue-webhook-probe"


class KueueError(RuntimeError):
    """Kueue cannot be set up on this machine or cluster; the message says why."""


@dataclass(frozen=True)
class KueueInstall:
    """The cached binary and, beside it, the manifests copied from its module."""

    binary: Path

    @property
    def manifests(self) -> Path:
        return self.binary.parent / "manifests"

    @classmethod
    def locate(cls) -> "KueueInstall":
        """The cached install (KINTERN_KUEUE overrides the binary), or BinariesMissing."""
        default = cache_root() / f"kueue-{KUEUE_VERSION}" / "kueue"
        found = cls(Path(os.environ.get("KINTERN_KUEUE") or default))
        if not os.access(found.binary, os.X_OK) or not (found.manifests / "crd").is_dir():
            raise BinariesMissing(
                f"Kueue {KUEUE_VERSION} not built: {found.binary} and {found.manifests} "
                "(run `bash hack/build-controlplane.sh kueue`, or `make controlplane`)"
            )
        return found

    def documents(self, relative: str) -> list[dict[str, Any]]:
        """The YAML documents of a manifest file or directory, in name order."""
        path = self.manifests / relative
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        return [d for f in files for d in yaml.safe_load_all(f.read_text()) if d]


def argv(install: KueueInstall, layout: Layout) -> list[str]:
    """Kueue's command line: its configuration file and its ServiceAccount's kubeconfig."""
    return [
        str(install.binary),
        f"--config={layout.kueue / 'config.yaml'}",
        f"--kubeconfig={layout.kubeconfig(NAME)}",
        "--zap-log-level=2",
    ]


def health_check(ports: Ports) -> health.HealthCheck:
    """Kueue's readiness probe: it answers once the webhook server has started."""
    return health.HealthCheck(f"http://127.0.0.1:{ports.kueue_health}/readyz")


def _kubectl(layout: Layout, *args: str) -> None:
    argv = [str(kubectl()), f"--kubeconfig={layout.admin_kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        raise KueueError(f"kubectl {' '.join(args)} failed:\n{done.stderr}{done.stdout}")


def _apply(layout: Layout, stem: str, manifests: list[dict[str, Any]]) -> Path:
    """Write `manifests` to kueue/<stem>.yaml (to read later) and apply them server-side."""
    path = layout.kueue / f"{stem}.yaml"
    path.write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    _kubectl(layout, "apply", "--server-side", "--force-conflicts", "-f", str(path))
    return path


def _write_token_kubeconfig(api: client.ApiClient, layout: Layout, server: str) -> None:
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=_TOKEN_SECONDS)
    )
    response = client.CoreV1Api(api).create_namespaced_service_account_token(
        kueue_manifests.SERVICE_ACCOUNT, kueue_manifests.NAMESPACE, request
    )
    if response.status is None:
        raise KueueError("TokenRequest for Kueue's ServiceAccount answered without a token")
    user = f"system:serviceaccount:{kueue_manifests.NAMESPACE}:{kueue_manifests.SERVICE_ACCOUNT}"
    token = str(response.status.token)
    write_token_kubeconfig(layout.kubeconfig(NAME), server, layout.pki / "ca.crt", token, user)


def _metrics_cert_fresh(pair: pki.CertPair) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    except (OSError, ValueError):
        return False
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    return pair.key.exists() and cert.not_valid_after_utc > soon


def ensure_metrics_cert(pki_dir: Path, directory: Path = METRICS_CERT_DIR) -> None:
    """Put a serving certificate where Kueue reads its metrics one, unless a fresh one is
    there. Shared by every devcluster on the machine, so written under a lock."""
    pair = pki.CertPair(directory / "tls.crt", directory / "tls.key")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _metrics_cert_fresh(pair):
                pki.loopback_serving_pair(pki_dir, pair, "kueue-metrics")
                pair.cert.chmod(0o644)
    except PermissionError as err:
        raise KueueError(
            f"Kueue {KUEUE_VERSION} needs a metrics certificate in {directory} (a path it "
            f"does not let one configure) and this user cannot write there ({err}); create "
            f"it once as root (`sudo mkdir -p {directory} && sudo chown $USER {directory}`)"
        ) from err


def _prepare(layout: Layout, ports: Ports, install: KueueInstall, api: client.ApiClient) -> None:
    """Everything Kueue needs before it starts: CRDs, RBAC, token, certificates, config."""
    layout.kueue.mkdir(parents=True, exist_ok=True)
    ca_pem = (layout.pki / "ca.crt").read_bytes()
    crds = kueue_manifests.crds(install.documents("crd"), ports.kueue_webhook, ca_pem)
    crd_file = _apply(layout, "crds", crds)
    _kubectl(layout, "wait", "--for=condition=Established", "--timeout=60s", "-f", str(crd_file))
    roles = [d for f in kueue_manifests.ROLE_FILES for d in install.documents(f"rbac/{f}")]
    _apply(layout, "rbac", kueue_manifests.rbac(roles))
    _write_token_kubeconfig(api, layout, str(api.configuration.host))
    cert_dir = layout.kueue / "certs"
    pki.loopback_serving_pair(
        layout.pki, pki.CertPair(cert_dir / "tls.crt", cert_dir / "tls.key"), "kueue-webhook"
    )
    ensure_metrics_cert(layout.pki)
    config = kueue_manifests.configuration(ports, cert_dir)
    (layout.kueue / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def _probe_job() -> client.V1Job:
    container = client.V1Container(name="probe", image="kueue-webhook-probe")
    pod = client.V1PodSpec(restart_policy="Never", containers=[container])
    return client.V1Job(
        metadata=client.V1ObjectMeta(name=_PROBE_JOB, labels={KUEUE_QUEUE_LABEL: _PROBE_JOB}),
        spec=client.V1JobSpec(suspend=False, template=client.V1PodTemplateSpec(spec=pod)),
    )


def _webhook_probe(api: client.ApiClient) -> str | None:
    """None once the apiserver calls Kueue's Job webhook (it suspends a Job that names a
    queue; a dry run, so nothing is created), else what went wrong."""
    try:
        job = client.BatchV1Api(api).create_namespaced_job("default", _probe_job(), dry_run="All")
    except client.ApiException as err:
        return f"the apiserver answered {err.status}: {err.body or err.reason}"
    return None if job.spec and job.spec.suspend else "a queued Job came back not suspended"


def wait_ready(record: ProcessRecord, ports: Ports, api: client.ApiClient, timeout: float) -> None:
    """Wait until Kueue's probe answers and its webhooks act; ComponentFailed (with its log
    tail) if it exits or time runs out."""
    started = time.monotonic()
    health.wait_healthy(record, health_check(ports), timeout)
    deadline = started + timeout
    problem: str | None = "not probed"
    while time.monotonic() < deadline:
        if not record.alive():
            raise health.failure(record, "exited before its webhooks answered")
        problem = _webhook_probe(api)
        if problem is None:
            return
        time.sleep(0.3)
    raise health.failure(record, f"webhooks not acting after {timeout:.0f}s ({problem})")


def start_kueue(
    layout: Layout,
    ports: Ports,
    api: client.ApiClient,
    detach: bool,
    started: Callable[[ProcessRecord], None],
    timeout: float,
) -> ProcessRecord:
    """Set Kueue up in the running cluster, start it, and wait until it is ready.
    `started` records the process (state.json) before the wait, so `down` finds it."""
    install = KueueInstall.locate()
    _prepare(layout, ports, install, api)
    record = start(NAME, argv(install, layout), layout.log(NAME), detach)
    started(record)
    ca_pem = (layout.pki / "ca.crt").read_bytes()
    documents = install.documents("webhooks.yaml")
    _apply(
        layout,
        "webhooks",
        kueue_manifests.webhook_configurations(documents, ports.kueue_webhook, ca_pem),
    )
    wait_ready(record, ports, api, timeout)
    return record
