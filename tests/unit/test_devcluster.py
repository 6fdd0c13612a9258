"""The local control plane's pure parts, without starting it: command lines, fake nodes,
kwok Stages, the PKI, and the versions shared with hack/build-controlplane.sh.
"""

import re
import socket
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from cryptography import x509

from kintern.devcluster import binaries, components, kwok, nodes, pki
from kintern.devcluster import ports as ports_module
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


@pytest.mark.parametrize("name", ["K8S_VERSION", "ETCD_VERSION", "KWOK_VERSION", "KUEUE_VERSION"])
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


class LowestFreePort:
    """An OS that binds port 0 to the lowest port nobody holds (some do): a port released
    before the next is chosen comes straight back."""

    AF_INET, SOCK_STREAM = socket.AF_INET, socket.SOCK_STREAM
    held: ClassVar[set[int]] = set()

    def __init__(self, *_: object) -> None:
        self.port = 0

    def socket(self, *_: object) -> "LowestFreePort":
        return LowestFreePort()

    def bind(self, address: tuple[str, int]) -> None:
        self.port = min(set(range(40000, 40100)) - self.held)
        self.held.add(self.port)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def close(self) -> None:
        self.held.discard(self.port)

    def __enter__(self) -> "LowestFreePort":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def test_free_ports_are_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(set(free_ports(6))) == 6
    monkeypatch.setattr(ports_module, "socket", LowestFreePort())
    assert free_ports(6) == [40000, 40001, 40002, 40003, 40004, 40005]
    assert LowestFreePort.held == set(), "every probe socket is closed again"


def test_free_ports_are_free_when_returned() -> None:
    for port in free_ports(6):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


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


def _values(obj: dict[str, Any], key: str) -> list[Any]:
    """What kwok's jq `key` yields on `obj`, for the forms kintern's Stages use."""
    if m := re.fullmatch(
        r'\.status\.conditions\.\[\] \| select\( \.type == "(\w+)" \) \| \.status', key
    ):
        return [
            c["status"] for c in obj.get("status", {}).get("conditions", []) if c["type"] == m[1]
        ]
    if m := re.fullmatch(r'\.metadata\.annotations\["([^"]+)"\]', key):
        path = ["metadata", "annotations", m[1]]
    elif re.fullmatch(r"(\.\w+)+", key):
        path = key[1:].split(".")
    else:
        raise AssertionError(f"a Stage selector this test cannot read: {key}")
    value: Any = obj
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return [] if value in (None, []) else [value]


def _matches(stage: dict[str, Any], obj: dict[str, Any]) -> bool:
    if stage["spec"]["resourceRef"]["kind"] != obj["kind"]:
        return False
    for expr in stage["spec"]["selector"]["matchExpressions"]:
        found, values = _values(obj, expr["key"]), expr.get("values", [])
        ok = {
            "In": any(v in values for v in found),
            "NotIn": not any(v in values for v in found),
            "Exists": bool(found),
            "DoesNotExist": not found,
        }[expr["operator"]]
        if not ok:
            return False
    return True


def _effect(stage: dict[str, Any]) -> str:
    """What a Stage does: delete, set a phase, or (a heartbeat) only refresh the status."""
    if stage["spec"]["next"].get("delete"):
        return "delete"
    template = "".join(p["template"] for p in stage["spec"]["next"].get("patches", []))
    phase = re.search(r"^\s*phase: (.+)$", template, re.MULTILINE)
    return f"phase {phase[1].strip()}" if phase else "refresh"


EXIT_SAYS = "phase {{ if eq $exit 0 }}Succeeded{{ else }}Failed{{ end }}"
DELETED = {"deletionTimestamp": "2026-01-01T00:00:00Z"}
READY = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}


@pytest.mark.parametrize(
    ("obj", "effects"),
    [
        pytest.param({"kind": "Node"}, ["phase Running"], id="a new node becomes Ready"),
        pytest.param({"kind": "Node", "status": READY}, ["refresh"], id="a ready node beats"),
        pytest.param(
            {"kind": "Pod", "status": {"phase": "Pending"}}, ["phase Running"], id="pod starts"
        ),
        pytest.param(
            {"kind": "Pod", "status": {"phase": "Running"}}, [], id="runs until told its exit"
        ),
        pytest.param(
            {
                "kind": "Pod",
                "metadata": {"annotations": {kwok.EXIT_CODE_ANNOTATION: "1"}},
                "status": {"phase": "Running"},
            },
            [EXIT_SAYS],
            id="exits as its annotation says",
        ),
        pytest.param({"kind": "Pod", "status": {"phase": "Succeeded"}}, [], id="ended pod stays"),
        pytest.param(
            {
                "kind": "Pod",
                "metadata": {**DELETED, "finalizers": ["batch.kubernetes.io/job-tracking"]},
                "status": {"phase": "Running"},
            },
            ["phase Failed"],
            id="a deleted running pod terminates",
        ),
        pytest.param(
            {"kind": "Pod", "metadata": DELETED, "status": {"phase": "Failed"}},
            ["delete"],
            id="a deleted ended pod goes away",
        ),
    ],
)
def test_stages_cover_the_node_and_pod_lifecycle(obj: dict[str, Any], effects: list[str]) -> None:
    stages = [d for d in yaml.safe_load_all(kwok.stages()) if d]
    assert {d["kind"] for d in stages} == {"Stage"}
    assert [_effect(s) for s in stages if _matches(s, obj)] == effects


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
