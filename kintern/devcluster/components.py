"""The command lines of the control-plane components: pure functions of the binaries,
the state directory layout and the ports. Called by `cluster.DevCluster.up`.
"""

from kintern.devcluster.binaries import Binaries
from kintern.devcluster.layout import SERVICE_ACCOUNT_ISSUER, SERVICE_CIDR, Layout, Ports

KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
KWOK_NODE_ANNOTATION_VALUE = "fake"
# Pod IPs kwok hands out; a /16 leaves room for the 500-node scale benchmark.
POD_CIDR = "10.244.0.0/16"


def etcd_argv(bins: Binaries, layout: Layout, ports: Ports) -> list[str]:
    """etcd on loopback, with a throwaway data directory and no fsync (tests only)."""
    client = f"http://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        str(bins.etcd),
        "--name=kintern",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kintern={peer}",
        "--unsafe-no-fsync",
        "--log-level=warn",
    ]


def apiserver_argv(bins: Binaries, layout: Layout, ports: Ports) -> list[str]:
    """kube-apiserver with RBAC, client-certificate auth and service-account tokens."""
    pki = layout.pki
    return [
        str(bins.kube_apiserver),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={pki}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        "--authorization-mode=RBAC",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # Endpoints may not hold a loopback address; nothing in the cluster dials it.
        "--endpoint-reconciler-type=none",
        "--allow-privileged=true",
        # How the apiserver authenticates to a real node's kubelet (logs, exec).
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--profiling=false",
    ]


def controller_manager_argv(bins: Binaries, layout: Layout, ports: Ports) -> list[str]:
    """kube-controller-manager: Job, garbage collector, ServiceAccount, token controllers."""
    pki = layout.pki
    return [
        str(bins.kube_controller_manager),
        f"--kubeconfig={layout.kubeconfig('controller-manager')}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        f"--cert-dir={pki / 'controller-manager'}",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # Quotas on new kinds (the chart's count of Kintern objects) are counted within
        # seconds instead of the default five minutes, during which creates are refused.
        "--resource-quota-sync-period=10s",
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        "--profiling=false",
    ]


def scheduler_argv(bins: Binaries, layout: Layout, ports: Ports) -> list[str]:
    """kube-scheduler with its own client certificate."""
    return [
        str(bins.kube_scheduler),
        f"--kubeconfig={layout.kubeconfig('scheduler')}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        f"--cert-dir={layout.pki / 'scheduler'}",
        "--leader-elect=false",
        "--profiling=false",
    ]


def kwok_argv(bins: Binaries, layout: Layout, ports: Ports) -> list[str]:
    """kwok, managing only the nodes annotated as fake, with Kintern's Stages."""
    return [
        str(bins.kwok),
        f"--kubeconfig={layout.kubeconfig('kwok')}",
        f"--config={layout.kwok_config}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector="
        f"{KWOK_NODE_ANNOTATION}={KWOK_NODE_ANNOTATION_VALUE}",
        f"--server-address=127.0.0.1:{ports.kwok}",
        "--node-ip=127.0.0.1",
        f"--cidr={POD_CIDR}",
        "--node-lease-duration-seconds=40",
    ]
