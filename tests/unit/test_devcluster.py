"""The local control plane's pure parts, without starting it: command lines, fake nodes,
kwok Stages, the PKI, and the versions shared with hack/build-controlplane.sh.
"""

import re
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from kintern.devcluster import binaries, components, kwok, nodes, pki
from kintern.devcluster.layout import Layout, Ports
from kintern.devcluster.ports import free_ports

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "hack" / "build-controlplane.sh"
PORTS = Ports(2379, 2380, 6443, 10257, 10259, 10247)
BINS = binaries.Binaries(*(Path(f"/bin/{n}") for n in ("etcd", "api", "kcm", "sched", "kwok")))
ARGV = {
    "etcd": components.etcd_argv,
    "apiserver": components.apiserver_argv,
    "controller-manager": components.controller_manager_argv,
    "scheduler": components.scheduler_argv,
    "kwok": components.kwok_argv,
}


@pytest.mark.parametrize("name", ["K8S_VERSION", "ETCD_VERSION", "KWOK_VERSION"])
def test_versions_match_the_build_script(name: str) -> None:
    default = re.search(rf'{name}="\$\{{{name}:-(v[0-9.]+)\}}"', BUILD_SCRIPT.read_text())
    assert default is not None
    assert getattr(binaries, name) == default.group(1)


@pytest.mark.parametrize("component", list(ARGV))
def test_every_component_listens_on_loopback_only(component: str) -> None:
    argv = " ".join(ARGV[component](BINS, Layout(Path("/state")), PORTS))
    assert "0.0.0.0" not in argv
    hosts = set(re.findall(r"://([^:/\s]+)", argv))
    assert hosts <= {"127.0.0.1", "kubernetes.default.svc.cluster.local"}  # the issuer is a name


def test_apiserver_authorizes_with_rbac_and_signs_service_account_tokens() -> None:
    argv = components.apiserver_argv(BINS, Layout(Path("/s")), PORTS)
    assert "--authorization-mode=RBAC" in argv
    assert "--service-account-signing-key-file=/s/pki/sa.key" in argv
    assert "--secure-port=6443" in argv


def test_free_ports_are_distinct() -> None:
    ports = free_ports(6)
    assert len(set(ports)) == 6


def test_gpu_node_is_an_h100_server_kwok_manages() -> None:
    node = nodes.fake_node("kwok-gpu-0", nodes.gpu_pool())
    assert node["metadata"]["annotations"] == {"kwok.x-k8s.io/node": "fake"}
    assert node["metadata"]["labels"]["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    assert node["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
    ]


def test_pools_name_their_nodes_by_pool_and_index() -> None:
    assert nodes.gpu_pool(500).node_names()[-1] == "kwok-gpu-499"
    assert nodes.cpu_pool().node_names() == ["kwok-cpu-0", "kwok-cpu-1"]
    assert "nvidia.com/gpu" not in nodes.fake_node("c", nodes.cpu_pool())["status"]["capacity"]


def test_stages_cover_the_node_and_pod_lifecycle() -> None:
    documents = list(yaml.safe_load_all(kwok.stages()))
    assert {d["kind"] for d in documents} == {"Stage"}
    names = [d["metadata"]["name"] for d in documents]
    assert names == [
        "kintern-node-initialize",
        "kintern-node-heartbeat",
        "kintern-pod-ready",
        "kintern-pod-complete",
        "kintern-pod-terminate",
        "kintern-pod-delete",
    ]


def test_completion_stage_reads_the_contract_annotations() -> None:
    complete = next(
        d
        for d in yaml.safe_load_all(kwok.stages())
        if d["metadata"]["name"] == "kintern-pod-complete"
    )
    template = complete["spec"]["next"]["patches"][0]["template"]
    for annotation in (
        kwok.EXIT_CODE_ANNOTATION,
        kwok.TERMINATION_MESSAGE_ANNOTATION,
        kwok.REASON_ANNOTATION,
    ):
        assert f'"{annotation}"' in template


def test_completion_annotations_leave_out_what_is_not_given() -> None:
    assert kwok.completion_annotations(0) == {"kwok.kintern.dev/exit-code": "0"}
    assert kwok.completion_annotations(137, "oom", "OOMKilled") == {
        "kwok.kintern.dev/exit-code": "137",
        "kwok.kintern.dev/termination-message": "oom",
        "kwok.kintern.dev/reason": "OOMKilled",
    }


def test_pki_issues_client_certificates_naming_user_and_groups(tmp_path: Path) -> None:
    who = {"admin": pki.ClientIdentity("kintern-admin", ("system:masters",))}
    creds = pki.generate(tmp_path, who, "10.96.0.1")
    cert = x509.load_pem_x509_certificate(creds.clients["admin"].cert.read_bytes())
    subject = {a.oid.dotted_string: a.value for a in cert.subject}
    assert subject["2.5.4.3"] == "kintern-admin"  # CN: the user
    assert subject["2.5.4.10"] == "system:masters"  # O: the group
    serving = x509.load_pem_x509_certificate(creds.serving.cert.read_bytes())
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    assert creds.service_account_key.stat().st_mode & 0o077 == 0
