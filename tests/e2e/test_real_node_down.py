"""The real node itself: a pod runs in a real container and `kubectl logs` reads it, a
second real node on the machine is refused without harming the first, and `down` (with
the pod still running) removes everything the node added to this machine: processes,
containers, mounts, network namespaces, the bridge and the rules."""

import subprocess
from pathlib import Path

import pytest

from kintern.devcluster import ClusterConfig, down, up
from kintern.devcluster.hostnet import RULE_COMMENT
from kintern.devcluster.realnode import RUN_DIR, WORK_DIR, RealNodeError
from kintern.devcluster.realnode_config import BRIDGE, NODE_NAME
from kintern.images import image
from tests.support.cluster import Cluster
from tests.support.wait import eventually

pytestmark = [pytest.mark.e2e]
ROUTE_LOCALNET = Path("/proc/sys/net/ipv4/conf/all/route_localnet")
POD = """
apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: hello
      image: %s
      command: ["python", "-c", "import time; print('hello from a real container', flush=True);
                time.sleep(600)"]
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""


def _mounts_under(*roots: Path) -> list[str]:
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [p for p in points if any(p.startswith(str(r)) for r in roots)]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append(argv)
    return found


def test_a_pod_runs_for_real_and_down_leaves_nothing_behind(tmp_path: Path) -> None:
    before_localnet = ROUTE_LOCALNET.read_text()
    state = tmp_path / "state"
    operator_image = image("operator")
    cfg = ClusterConfig(
        state, gpu_nodes=1, cpu_nodes=0, detach=False, real_node=True,
        real_node_images=(operator_image,), timeout_seconds=300,
    )  # fmt: skip
    started = up(cfg)
    try:
        cluster = Cluster.connect(started.kubeconfig, tmp_path / "work", state, attached=True)
        cluster.kubectl("apply", "-f", "-", stdin=POD % operator_image)

        def says_hello() -> str | None:
            logs = cluster.kubectl("logs", "hello", check=False).stdout
            return logs if "hello from a real container" in logs else None

        eventually(says_hello, "the pod's log through kubectl logs", timeout=120)
        pod = cluster.kubectl("get", "pod", "hello", "-o", "jsonpath={.spec.nodeName}").stdout
        assert pod == NODE_NAME
        assert _processes_mentioning("hello from a real container")

        # A second real node on the same machine is refused, and this one is unharmed.
        second = ClusterConfig(
            tmp_path / "second", gpu_nodes=1, cpu_nodes=0, detach=False, real_node=True
        )
        with pytest.raises(RealNodeError, match="runs on this machine already"):
            up(second)
        assert says_hello() and _processes_mentioning("hello from a real container")
    finally:
        down(state)

    assert not _processes_mentioning(str(RUN_DIR)), "containerd or a shim survived"
    assert not _processes_mentioning("hello from a real container"), "the pod's process survived"
    assert not _mounts_under(state, RUN_DIR, WORK_DIR)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f" {BRIDGE}:" not in links
    for table in ("nat", "filter"):
        rules = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True)
        assert RULE_COMMENT not in rules.stdout
    assert ROUTE_LOCALNET.read_text() == before_localnet
    assert not RUN_DIR.exists() and not WORK_DIR.exists()
