"""Brings one local cluster up and down: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok on free loopback ports, then the fake node pools, and on request
Kueue and a real node.

`up` records every process it starts in `<state dir>/state.json` as it goes, so `down`
(from any process, e.g. `make cluster-down`) stops exactly those, even after a failed
start. Called by `python -m kintern.devcluster` and the integration-test fixture.
"""

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kubernetes import client, config

from kintern.devcluster import components, health, kueue, kwok, pki, realnode
from kintern.devcluster.binaries import Binaries
from kintern.devcluster.kubeconfig import write_cert_kubeconfig
from kintern.devcluster.layout import KUBERNETES_SERVICE_IP, Layout, Ports
from kintern.devcluster.nodes import NodePool, cpu_pool, create_nodes, gpu_pool, wait_nodes_ready
from kintern.devcluster.ports import free_ports
from kintern.devcluster.process import ProcessRecord, start, stop
from kintern.devcluster.realnode_config import NODE_NAME

# Client certificates: file stem -> who the apiserver takes the holder to be.
CLIENTS = {
    "admin": pki.ClientIdentity("kintern-admin", ("system:masters",)),
    "controller-manager": pki.ClientIdentity("system:kube-controller-manager"),
    "scheduler": pki.ClientIdentity("system:kube-scheduler"),
    "kwok": pki.ClientIdentity("kintern-kwok", ("system:masters",)),
    # The real node's kubelet, and the apiserver when it calls a kubelet (logs, exec).
    "kubelet": pki.ClientIdentity(f"system:node:{NODE_NAME}", ("system:nodes",)),
    "apiserver-kubelet-client": pki.ClientIdentity("kube-apiserver-kubelet-client"),
}
ArgvBuilder = Callable[[Binaries, Layout, Ports], list[str]]


_REAL_NODE_COMPONENTS = ("containerd", "kubelet")


class AlreadyRunning(RuntimeError):
    """The state directory belongs to a cluster that is still running."""


@dataclass(frozen=True)
class ClusterConfig:
    """What to start: where its state lives, how many fake nodes of each pool, and whether
    the processes outlive the Python process that starts them (`detach`)."""

    state_dir: Path
    gpu_nodes: int = 4
    cpu_nodes: int = 2
    timeout_seconds: float = 120.0
    detach: bool = True
    real_node: bool = False
    # Kueue's controller manager and webhooks (`up --kueue`).
    kueue: bool = False
    # Docker images to import into the real node's containerd.
    real_node_images: tuple[str, ...] = ()

    def pools(self) -> list[NodePool]:
        return [gpu_pool(self.gpu_nodes), cpu_pool(self.cpu_nodes)]


@dataclass(frozen=True)
class RunningCluster:
    """A started cluster, as `state.json` records it."""

    state_dir: Path
    ports: Ports
    processes: list[ProcessRecord] = field(default_factory=list)

    @property
    def layout(self) -> Layout:
        return Layout(self.state_dir)

    @property
    def server(self) -> str:
        return self.ports.server

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (user kintern-admin, group system:masters)."""
        return self.layout.admin_kubeconfig

    @property
    def ca(self) -> Path:
        return self.layout.pki / "ca.crt"

    def save(self) -> None:
        data = {"ports": asdict(self.ports), "processes": [asdict(p) for p in self.processes]}
        self.layout.state_file.write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, state_dir: Path) -> "RunningCluster | None":
        """The cluster recorded in `state_dir`, or None if there is none."""
        path = Layout(state_dir).state_file
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        processes = [ProcessRecord(**p) for p in data["processes"]]
        return cls(state_dir, Ports(**data["ports"]), processes)

    def api_client(self) -> client.ApiClient:
        """A Kubernetes client with the admin credentials."""
        api: client.ApiClient = config.new_client_from_config(config_file=str(self.kubeconfig))
        return api


def _log(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


def _prepare(layout: Layout, ports: Ports) -> None:
    """Fresh PKI, kubeconfigs and kwok config in the state directory."""
    for stale in (layout.pki, layout.etcd_data, layout.logs, layout.root / "kubeconfigs"):
        shutil.rmtree(stale, ignore_errors=True)
    creds = pki.generate(layout.pki, CLIENTS, KUBERNETES_SERVICE_IP)
    for stem, who in CLIENTS.items():
        pair = creds.clients[stem]
        write_cert_kubeconfig(
            layout.kubeconfig(stem), ports.server, creds.ca.cert, pair.cert, pair.key, who.user
        )
    kwok.write_config(layout.kwok_config)


def _health_checks(layout: Layout, ports: Ports) -> dict[str, health.HealthCheck]:
    admin = health.client_context(
        str(layout.pki / "ca.crt"), str(layout.pki / "admin.crt"), str(layout.pki / "admin.key")
    )
    insecure = health.insecure_context()
    return {
        "etcd": health.HealthCheck(f"http://127.0.0.1:{ports.etcd_client}/health"),
        "kube-apiserver": health.HealthCheck(f"{ports.server}/readyz", admin),
        "kube-controller-manager": health.HealthCheck(
            f"https://127.0.0.1:{ports.controller_manager}/healthz", insecure
        ),
        "kube-scheduler": health.HealthCheck(
            f"https://127.0.0.1:{ports.scheduler}/healthz", insecure
        ),
        "kwok": health.HealthCheck(f"http://127.0.0.1:{ports.kwok}/healthz"),
        kueue.NAME: kueue.health_check(ports),
    }


# Start order; each group starts together and must be healthy before the next.
_STAGES: list[dict[str, ArgvBuilder]] = [
    {"etcd": components.etcd_argv},
    {"kube-apiserver": components.apiserver_argv},
    {
        "kube-controller-manager": components.controller_manager_argv,
        "kube-scheduler": components.scheduler_argv,
        "kwok": components.kwok_argv,
    },
]


class _Starter:
    """Starts components, recording each in state.json before waiting on it."""

    def __init__(self, cfg: ClusterConfig, binaries: Binaries, cluster: RunningCluster) -> None:
        self.cfg, self.binaries, self.cluster = cfg, binaries, cluster
        self.checks = _health_checks(cluster.layout, cluster.ports)

    def start_group(self, group: dict[str, ArgvBuilder]) -> None:
        started = []
        for name, argv in group.items():
            argv_list = argv(self.binaries, self.cluster.layout, self.cluster.ports)
            record = start(name, argv_list, self.cluster.layout.log(name), self.cfg.detach)
            self.cluster.processes.append(record)
            self.cluster.save()
            started.append(record)
        for record in started:
            health.wait_healthy(record, self.checks[record.name], self.cfg.timeout_seconds)
            _log(f"{record.name} healthy (pid {record.pid})")


def _wait_default_service_account(api: client.ApiClient, timeout: float) -> None:
    """The ServiceAccount controller has run once the `default` namespace has its account."""
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.read_namespaced_service_account("default", "default")
            return
        except client.ApiException as err:
            if err.status != 404:
                raise
        time.sleep(0.3)
    raise TimeoutError("kube-controller-manager created no default ServiceAccount")


def _populate(cfg: ClusterConfig, cluster: RunningCluster) -> None:
    api = cluster.api_client()
    try:
        pools = cfg.pools()
        create_nodes(api, pools)
        wait_nodes_ready(api, [n for p in pools for n in p.node_names()], cfg.timeout_seconds)
        _log(f"fake nodes Ready: {', '.join(f'{p.count} {p.name}' for p in pools)}")
        _wait_default_service_account(api, cfg.timeout_seconds)
    finally:
        api.close()


def _recorder(cluster: RunningCluster) -> Callable[[ProcessRecord], None]:
    """Records a process that an optional component started in state.json at once."""

    def started(record: ProcessRecord) -> None:
        cluster.processes.append(record)
        cluster.save()

    return started


def _start_real_node(cfg: ClusterConfig, cluster: RunningCluster) -> None:
    api = cluster.api_client()
    try:
        realnode.start_node(
            cluster.layout,
            cluster.ports.apiserver,
            api,
            list(cfg.real_node_images),
            cfg.detach,
            _recorder(cluster),
            cfg.timeout_seconds,
        )
    finally:
        api.close()


def _start_kueue(cfg: ClusterConfig, cluster: RunningCluster) -> None:
    api = cluster.api_client()
    try:
        record = kueue.start_kueue(
            cluster.layout,
            cluster.ports,
            api,
            cfg.detach,
            _recorder(cluster),
            cfg.timeout_seconds,
        )
    finally:
        api.close()
    _log(f"kueue ready (pid {record.pid}), webhooks on 127.0.0.1:{cluster.ports.kueue_webhook}")


def _start_once(cfg: ClusterConfig, binaries: Binaries) -> RunningCluster:
    """One attempt on fresh ports; on any failure stop what was started and raise."""
    cluster = RunningCluster(cfg.state_dir, Ports(*free_ports(9 if cfg.kueue else 6)))
    cluster.layout.root.mkdir(parents=True, exist_ok=True)
    _prepare(cluster.layout, cluster.ports)
    cluster.save()
    try:
        starter = _Starter(cfg, binaries, cluster)
        for group in _STAGES:
            starter.start_group(group)
        _populate(cfg, cluster)
        if cfg.kueue:
            _start_kueue(cfg, cluster)
        if cfg.real_node:
            _start_real_node(cfg, cluster)
    except BaseException:
        down(cfg.state_dir, keep_logs=True)
        raise
    return cluster


def up(cfg: ClusterConfig, binaries: Binaries | None = None, attempts: int = 3) -> RunningCluster:
    """Start a cluster in `cfg.state_dir`. A port that another process took between being
    picked and being bound costs one more attempt on new ports; any other failure raises."""
    binaries = binaries or Binaries.locate()
    existing = RunningCluster.load(cfg.state_dir)
    if existing and any(p.alive() for p in existing.processes):
        raise AlreadyRunning(f"a cluster is running from {cfg.state_dir}; stop it with `down`")
    for _ in range(attempts - 1):
        try:
            return _announce(_start_once(cfg, binaries))
        except health.ComponentFailed as err:
            if "address already in use" not in str(err):
                raise
            _log(f"a port was taken meanwhile ({str(err).splitlines()[0]}); trying new ports")
    return _announce(_start_once(cfg, binaries))


def _announce(cluster: RunningCluster) -> RunningCluster:
    _log(f"cluster up at {cluster.server}; kubeconfig {cluster.kubeconfig}")
    return cluster


def down(state_dir: Path, keep_logs: bool = True) -> list[str]:
    """Stop the processes `up` recorded, in reverse start order (etcd last, even after a
    start_component appended it to the record); returns the names it stopped."""
    cluster = RunningCluster.load(state_dir)
    if cluster is None:
        return []
    order = [name for group in _STAGES for name in group] + [kueue.NAME]
    order += list(_REAL_NODE_COMPONENTS)
    stopped = []
    node = [r for r in cluster.processes if r.name in _REAL_NODE_COMPONENTS]
    if node or realnode.was_started(cluster.layout):
        stopped += [r.name for r in node if r.alive()]
        realnode.stop_node(cluster.layout, node)
    rest = [r for r in cluster.processes if r.name not in _REAL_NODE_COMPONENTS]
    for record in sorted(rest, key=lambda r: order.index(r.name), reverse=True):
        if record.alive():
            stop(record)
            stopped.append(record.name)
    layout = cluster.layout
    layout.state_file.unlink(missing_ok=True)
    shutil.rmtree(layout.etcd_data, ignore_errors=True)
    if not keep_logs:
        shutil.rmtree(layout.root, ignore_errors=True)
    return stopped


def _running(state_dir: Path) -> RunningCluster:
    cluster = RunningCluster.load(state_dir)
    if cluster is None:
        raise FileNotFoundError(f"no cluster recorded in {state_dir} (start one with `up`)")
    return cluster


def stop_component(state_dir: Path, name: str, grace_seconds: float = 10.0) -> None:
    """Stop one component of a running cluster (kube-apiserver, say), leaving the rest up:
    how the fault tests take the apiserver away from a working operator. SIGTERM, then
    SIGKILL after `grace_seconds` (0: a crash)."""
    for record in _running(state_dir).processes:
        if record.name == name and record.alive():
            stop(record, grace_seconds)


def start_component(
    state_dir: Path,
    name: str,
    detach: bool = True,
    binaries: Binaries | None = None,
    timeout: float = 120.0,
) -> ProcessRecord:
    """Start a stopped component again with its own command line, ports and PKI, record it
    in state.json in place of the old process, and wait until it is healthy."""
    cluster = _running(state_dir)
    builders = {n: argv for group in _STAGES for n, argv in group.items()}
    if name == kueue.NAME and cluster.ports.kueue_webhook:
        argv = kueue.argv(kueue.KueueInstall.locate(), cluster.layout)
    elif name in builders:
        argv = builders[name](binaries or Binaries.locate(), cluster.layout, cluster.ports)
    else:
        raise ValueError(f"no component {name!r}; components: {', '.join(builders)}")
    record = start(name, argv, cluster.layout.log(name), detach)
    others = [p for p in cluster.processes if p.name != name]
    RunningCluster(state_dir, cluster.ports, [*others, record]).save()
    check = _health_checks(cluster.layout, cluster.ports)[name]
    health.wait_healthy(record, check, timeout)
    _log(f"{name} healthy again (pid {record.pid})")
    return record
