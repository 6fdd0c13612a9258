"""One real kubelet node beside kwok's fake pools: a private containerd with the CRI
plugin, a CNI bridge, the pause image, and a kubelet joined to the devcluster's apiserver,
so that pods run in real containers (`python -m kintern.devcluster up --real-node`).

Images reach the node from the local Docker engine (`docker save | ctr import`); an image
already imported with the same ID is not imported again, since containerd's store lives in
the user's cache. `stop` removes everything `start` made: processes, containers, mounts,
network namespaces, the bridge and the rules. Needs root, containerd, runc, the CNI
plugins and iptables (Debian: containerd containernetworking-plugins iptables) and the
kubelet from `hack/build-controlplane.sh kubelet`.
"""

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kubernetes import client

from kintern.devcluster import containerd_images, hostnet, leftovers, process, realnode_config
from kintern.devcluster.binaries import K8S_VERSION, cache_root
from kintern.devcluster.layout import Layout
from kintern.devcluster.ports import free_ports
from kintern.devcluster.process import ProcessRecord, log_tail
from kintern.devcluster.realnode_config import NODE_NAME, PAUSE_IMAGE, NodePaths, RealNodeError

# Short paths: containerd and the kubelet put unix sockets under them (108 bytes at most).
# One real node runs on a machine at a time.
RUN_DIR = Path("/run/kintern-node")
WORK_DIR = Path("/var/lib/kintern-node")
_HOST_TOOLS = {
    "containerd": "apt-get install containerd",
    "ctr": "apt-get install containerd",
    "runc": "apt-get install runc",
    "iptables": "apt-get install iptables",
    "ip": "apt-get install iproute2",
    "docker": "apt-get install docker.io",
}


def _undo_file(layout: Layout) -> Path:
    """What `stop_node` must restore: route_localnet's value before `start_node`."""
    return layout.root / "realnode" / "undo.json"


def _log(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


def was_started(layout: Layout) -> bool:
    """Whether `start_node` changed this host for the cluster in `layout`."""
    return _undo_file(layout).exists()


def node_paths(layout: Layout) -> NodePaths:
    return NodePaths(layout.root / "realnode", cache_root().parent / "realnode", RUN_DIR, WORK_DIR)


def kubelet_binaries() -> tuple[Path, Path]:
    """The kubelet and pause binaries `hack/build-controlplane.sh kubelet` cached."""
    root = Path(os.environ.get("KINTERN_KUBELET_BIN") or cache_root() / f"kubelet-{K8S_VERSION}")
    return root / "kubelet", root / "pause"


def preflight() -> None:
    """Fail at once, saying how to fix it, when this machine cannot run the node."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the real node needs root (kubelet, containerd, iptables)")
    problems += [f"{tool} is missing ({fix})" for tool, fix in _HOST_TOOLS.items()
                 if shutil.which(tool) is None]  # fmt: skip
    if not Path(realnode_config.CNI_BIN_DIR, "bridge").exists():
        problems.append("the CNI plugins are missing (apt-get install containernetworking-plugins)")
    problems += [f"{p} is not built (make realnode)" for p in kubelet_binaries() if not p.exists()]
    if problems:
        raise RealNodeError("cannot start the real node: " + "; ".join(problems))


def _wait_containerd(paths: NodePaths, record: ProcessRecord, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not record.alive():
            raise RealNodeError(f"containerd exited:\n{log_tail(record.log)}")
        with contextlib.suppress(RealNodeError):
            containerd_images.ctr(paths, "version")
            return
        time.sleep(0.2)
    raise RealNodeError(f"containerd did not answer in {timeout:.0f} s:\n{log_tail(record.log)}")


def _bind_node_role(api: client.ApiClient) -> None:
    """RBAC for kubelets: the built-in system:node role, bound to group system:nodes."""
    body = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "kintern-devcluster-nodes"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "system:node"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                      "name": "system:nodes"}],
    }  # fmt: skip
    try:
        binding = client.V1ClusterRoleBinding.model_validate(body)
        client.RbacAuthorizationV1Api(api).create_cluster_role_binding(binding)
    except client.ApiException as err:
        if err.status != 409:
            raise


def _wait_ready(api: client.ApiClient, kubelet: ProcessRecord, timeout: float) -> None:
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not kubelet.alive():
            raise RealNodeError(f"the kubelet exited:\n{log_tail(kubelet.log)}")
        with contextlib.suppress(client.ApiException):
            node = core.read_node(NODE_NAME)
            found = node.status.conditions if node.status else None
            conditions = {c.type: c.status for c in found or []}
            if conditions.get("Ready") == "True":
                return
        time.sleep(0.5)
    raise RealNodeError(f"node {NODE_NAME} not Ready in {timeout:.0f} s:\n{log_tail(kubelet.log)}")


def start_node(
    layout: Layout,
    apiserver_port: int,
    api: client.ApiClient,
    images: list[str],
    detach: bool,
    started: Callable[[ProcessRecord], None],
    timeout: float = 120.0,
) -> None:
    """Start containerd and the kubelet, passing each to `started` at once (for
    state.json), and wait until the node is Ready with `images` loaded. Call `stop_node`
    on failure too."""
    preflight()
    kubelet_bin, pause_bin = kubelet_binaries()
    paths = node_paths(layout)
    _refuse_a_second_node(paths)
    _sweep_leftovers(paths)
    port, healthz = free_ports(2)
    realnode_config.write_configs(paths, layout.pki / "ca.crt", port, healthz)
    previous = hostnet.setup(apiserver_port)
    _undo_file(layout).write_text(json.dumps({"route_localnet": previous}))
    argv = realnode_config.containerd_argv(paths)
    containerd = _start_process("containerd", argv, layout, detach)
    started(containerd)
    _wait_containerd(paths, containerd)
    containerd_images.ensure_pause_in_docker(pause_bin)
    containerd_images.load_images(paths, [PAUSE_IMAGE, *images])
    _bind_node_role(api)
    argv = realnode_config.kubelet_argv(kubelet_bin, paths, layout.kubeconfig("kubelet"))
    kubelet = _start_process("kubelet", argv, layout, detach)
    started(kubelet)
    _wait_ready(api, kubelet, timeout)
    _log(f"real node {NODE_NAME} Ready (pods on {realnode_config.POD_SUBNET})")


def _refuse_a_second_node(paths: NodePaths) -> None:
    """A machine holds one real node (one bridge, one node IP): when another cluster's
    containerd answers on the node's socket, stop rather than sweep it away."""
    if not paths.socket.exists():
        return
    try:
        containerd_images.ctr(paths, "version")
    except RealNodeError:
        return  # a socket left by a node that died: the sweep clears it
    raise RealNodeError(
        f"a real node runs on this machine already (containerd at {paths.socket}): "
        "stop its cluster with `python -m kintern.devcluster down --state-dir DIR` first"
    )


def _start_process(name: str, argv: list[str], layout: Layout, detach: bool) -> ProcessRecord:
    return process.start(name, argv, layout.log(name), detach)


def _remove_containers(paths: NodePaths) -> None:
    """Kill and delete every container of the node (pods and sandboxes), so that no
    workload outlives it; containerd must still be running."""
    for task in containerd_images.ctr(paths, "tasks", "ls", "-q").split():
        with contextlib.suppress(RealNodeError):
            containerd_images.ctr(paths, "tasks", "kill", "--all", "--signal", "SIGKILL", task)
        with contextlib.suppress(RealNodeError):
            containerd_images.ctr(paths, "tasks", "delete", "--force", task)
    for container in containerd_images.ctr(paths, "containers", "ls", "-q").split():
        with contextlib.suppress(RealNodeError):
            containerd_images.ctr(paths, "containers", "delete", container)


def stop_node(layout: Layout, records: list[ProcessRecord]) -> None:
    """Undo `start_node`: the kubelet, every container, containerd, mounts, network
    namespaces, the bridge and the rules. Safe to call after a partial start."""
    paths = node_paths(layout)
    by_name = {r.name: r for r in records}
    if "kubelet" in by_name:
        process.stop(by_name["kubelet"])
    if "containerd" in by_name and by_name["containerd"].alive():
        with contextlib.suppress(RealNodeError):
            _remove_containers(paths)
        process.stop(by_name["containerd"])
    leftovers.kill_shims(paths)
    leftovers.unmount_all([paths.work, paths.run, paths.images / "root"])
    undo = _undo_file(layout)
    previous = json.loads(undo.read_text())["route_localnet"] if undo.exists() else None
    hostnet.teardown(previous)
    shutil.rmtree(paths.run, ignore_errors=True)
    shutil.rmtree(paths.work, ignore_errors=True)
    undo.unlink(missing_ok=True)


def _sweep_leftovers(paths: NodePaths) -> None:
    """A node that died without `down` (its test session was killed) leaves shims,
    mounts and network behind; clear them before starting a new one."""
    leftovers.kill_shims(paths)
    leftovers.unmount_all([paths.run, paths.work])
    hostnet.teardown(None)
    shutil.rmtree(paths.run, ignore_errors=True)
    shutil.rmtree(paths.work, ignore_errors=True)
