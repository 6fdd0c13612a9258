"""The local control plane as processes: clusters side by side, `down` stopping only its
own, and a component that cannot start failing loudly with its log.
"""

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from kintern.devcluster import ClusterConfig, ComponentFailed, RunningCluster, down, up
from kintern.devcluster import cluster as cluster_module
from kintern.devcluster.ports import free_ports
from tests.support.cluster import Cluster
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port that another process holds open."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _small(state_dir: Path) -> ClusterConfig:
    return ClusterConfig(state_dir, gpu_nodes=1, cpu_nodes=0, detach=False)


def _ports_starting_with(port: int, times: int) -> Callable[[int], list[int]]:
    """A free_ports stand-in whose first `times` answers put `port` first (etcd's client)."""
    calls = iter(range(times))

    def pick(count: int) -> list[int]:
        fresh = free_ports(count)
        return [port, *fresh[1:]] if next(calls, None) is not None else fresh

    return pick


def test_second_cluster_runs_beside_the_first_and_down_stops_only_it(
    cluster: Cluster, tmp_path: Path
) -> None:
    second = up(_small(tmp_path / "second"))
    try:
        api = second.api_client()
        names = [n.metadata.name for n in client.CoreV1Api(api).list_node().items]
        api.close()
        assert names == ["kwok-gpu-0"]
        assert second.server != cluster.server
    finally:
        stopped = down(tmp_path / "second")
    assert stopped == [
        "kwok",
        "kube-scheduler",
        "kube-controller-manager",
        "kube-apiserver",
        "etcd",
    ]
    assert not any(p.alive() for p in second.processes)
    assert RunningCluster.load(tmp_path / "second") is None
    assert client.VersionApi(cluster.api).get_code().git_version == "v1.36.3"


def test_component_that_cannot_bind_fails_loudly_with_its_log(
    tmp_path: Path, held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "free_ports", _ports_starting_with(held_port, 1))
    with pytest.raises(ComponentFailed) as failed:
        up(_small(tmp_path / "taken"), attempts=1)
    message = str(failed.value)
    assert message.startswith("etcd exited before answering http://127.0.0.1:")
    assert "address already in use" in message
    assert str(tmp_path / "taken" / "logs" / "etcd.log") in message
    assert RunningCluster.load(tmp_path / "taken") is None  # nothing left running


def test_taken_port_costs_one_more_attempt(
    tmp_path: Path, held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "free_ports", _ports_starting_with(held_port, 1))
    started = up(_small(tmp_path / "retry"))
    try:
        assert started.ports.etcd_client != held_port
    finally:
        down(tmp_path / "retry")


_STARTER = """
import sys, time
from pathlib import Path
from kintern.devcluster import ClusterConfig, up
up(ClusterConfig(Path(sys.argv[1]), gpu_nodes=1, cpu_nodes=0, detach=False))
print("up", flush=True)
time.sleep(600)
"""


def test_attached_cluster_dies_with_a_killed_starter(tmp_path: Path) -> None:
    state_dir = tmp_path / "orphan"
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER, str(state_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert starter.stdout is not None and starter.stdout.readline() == "up\n"
        started = RunningCluster.load(state_dir)
        assert started is not None and all(p.alive() for p in started.processes)
    finally:
        starter.kill()
        starter.wait()
    eventually(lambda: not any(p.alive() for p in started.processes), "the components to stop")
    down(state_dir)
