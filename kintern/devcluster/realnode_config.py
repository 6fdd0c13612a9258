"""The configuration of the real node, as pure functions: containerd's config, the CNI
bridge network and the kubelet's KubeletConfiguration (`realnode.py` writes them), the
paths and names they share, and the error the node's setup raises.

The settings that matter on these machines (a VM with cgroup v1 that may not lower
oom_score_adj) are explained where they are set; see also ../shared/REAL-NODE.md.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

NODE_NAME = "kintern-real-node"
# The node's own network: a bridge on this machine, its first address the node IP (the
# apiserver reaches the kubelet there, so `kubectl logs` works) and pods' gateway.
BRIDGE = "kintern0"
POD_SUBNET = "10.245.0.0/24"
NODE_IP = "10.245.0.1"
PAUSE_IMAGE = "registry.k8s.io/pause:kintern"
CNI_BIN_DIR = "/usr/lib/cni"
NODE_LABEL = "kintern.dev/node"


class RealNodeError(RuntimeError):
    """The real node cannot start or stop here; the message says what to do."""


@dataclass(frozen=True)
class NodePaths:
    """Where the real node keeps its files. `images` (containerd's root: the content store
    and snapshots) lives in the user's cache so that images imported once stay; configs
    live in the cluster's state directory; `run` (containerd's state and socket) and
    `work` (the kubelet's root, pod volumes) have short paths, since both create unix
    sockets, whose paths must fit in 108 bytes."""

    state: Path
    images: Path
    run: Path
    work: Path

    @property
    def containerd_config(self) -> Path:
        return self.state / "containerd.toml"

    @property
    def containerd_state(self) -> Path:
        return self.run / "containerd-state"

    @property
    def socket(self) -> Path:
        return self.run / "containerd.sock"

    @property
    def cni_conf_dir(self) -> Path:
        return self.state / "cni"

    @property
    def cni_data_dir(self) -> Path:
        return self.state / "cni-ipam"

    @property
    def kubelet_config(self) -> Path:
        return self.state / "kubelet.yaml"

    @property
    def kubelet_root(self) -> Path:
        return self.work / "kubelet"

    @property
    def imported(self) -> Path:
        """Which image IDs are already in containerd's store (name -> docker image ID)."""
        return self.images / "imported.json"


def containerd_toml(paths: NodePaths) -> str:
    """A private containerd: its own root, state and socket, so it never meets the
    machine's own containerd (Docker's), with the CRI plugin for the kubelet."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""version = 2
root = "{paths.images / "root"}"
state = "{paths.containerd_state}"

[grpc]
  address = "{paths.socket}"

[ttrpc]
  address = "{paths.socket}.ttrpc"

[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  # The VM may not lower a process's oom_score_adj; without this every sandbox fails
  # with "runc create failed: ... can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true

[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[{cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[{cri}.cni]
  bin_dir = "{CNI_BIN_DIR}"
  conf_dir = "{paths.cni_conf_dir}"
"""


def cni_conflist(paths: NodePaths) -> dict[str, Any]:
    """One bridge network with host-local addresses; the IPAM data stays in the state
    directory so that a later node never finds this one's leases."""
    ipam = {
        "type": "host-local",
        "ranges": [[{"subnet": POD_SUBNET, "gateway": NODE_IP}]],
        # Pods route everything through the node: the apiserver's Service IP is no
        # neighbour on the bridge.
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": str(paths.cni_data_dir),
    }
    bridge = {
        "type": "bridge",
        "bridge": BRIDGE,
        "isGateway": True,
        "ipMasq": False,
        "hairpinMode": True,
        "ipam": ipam,
    }
    return {
        "cniVersion": "1.0.0",
        "name": "kintern",
        "plugins": [bridge, {"type": "portmap", "capabilities": {"portMappings": True}}],
    }


def kubelet_configuration(
    paths: NodePaths, ca: Path, port: int, healthz_port: int
) -> dict[str, Any]:
    """The kubelet: clients authenticated by the cluster's CA (the apiserver's client
    certificate, for logs and exec), cgroupfs, and eviction thresholds low enough that a
    busy CI disk does not evict the test's pods."""
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "port": port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": healthz_port,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": False},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "AlwaysAllow"},
        "containerRuntimeEndpoint": f"unix://{paths.socket}",
        # The machines this runs on still have cgroup v1, which kubelet 1.36 refuses
        # unless told otherwise; Docker uses cgroupfs there too.
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "failSwapOn": False,
        "resolvConf": "/etc/resolv.conf",
        "serializeImagePulls": False,
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "nodeStatusReportFrequency": "10s",
    }


def kubelet_argv(kubelet: Path, paths: NodePaths, kubeconfig: Path) -> list[str]:
    return [
        str(kubelet),
        f"--config={paths.kubelet_config}",
        f"--kubeconfig={kubeconfig}",
        f"--root-dir={paths.kubelet_root}",
        f"--cert-dir={paths.state / 'kubelet-pki'}",
        f"--hostname-override={NODE_NAME}",
        f"--node-ip={NODE_IP}",
        f"--node-labels={NODE_LABEL}=real",
        "--v=1",
    ]


def containerd_argv(paths: NodePaths) -> list[str]:
    return ["containerd", f"--config={paths.containerd_config}"]


def write_configs(paths: NodePaths, ca: Path, port: int, healthz_port: int) -> None:
    for directory in (paths.state, paths.images, paths.run, paths.cni_conf_dir):
        directory.mkdir(parents=True, exist_ok=True)
    paths.containerd_config.write_text(containerd_toml(paths))
    conflist = paths.cni_conf_dir / "10-kintern.conflist"
    conflist.write_text(json.dumps(cni_conflist(paths), indent=2) + "\n")
    config = kubelet_configuration(paths, ca, port, healthz_port)
    paths.kubelet_config.write_text(yaml.safe_dump(config, sort_keys=False))
