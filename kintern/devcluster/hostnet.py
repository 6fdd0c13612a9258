"""The host side of the real node's network: the pod bridge, the route from pods to the
apiserver, and their removal.

The apiserver listens on 127.0.0.1 only. There is no kube-proxy, so one DNAT rule sends
pods' traffic for the `kubernetes` Service (10.96.0.1:443) to the apiserver's loopback
port, which the kernel allows with `route_localnet`. Pods reach this machine and each
other, and nothing beyond. Every rule carries a comment, so `teardown` removes exactly
the rules `setup` added, even after a crash.
"""

import contextlib
import ipaddress
import subprocess
from pathlib import Path

from kintern.devcluster.layout import KUBERNETES_SERVICE_IP
from kintern.devcluster.realnode_config import BRIDGE, NODE_IP, POD_SUBNET

RULE_COMMENT = "kintern-devcluster-real-node"
_ROUTE_LOCALNET = Path("/proc/sys/net/ipv4/conf/all/route_localnet")
_NETNS_DIR = Path("/run/netns")


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def _rules(apiserver_port: int) -> list[tuple[str, str, list[str]]]:
    """(table, chain, rule) for each rule the node needs."""
    tag = ["-m", "comment", "--comment", RULE_COMMENT]
    to_apiserver = [
        "-d", f"{KUBERNETES_SERVICE_IP}/32", "-p", "tcp", "--dport", "443", *tag,
        "-j", "DNAT", "--to-destination", f"127.0.0.1:{apiserver_port}",
    ]  # fmt: skip
    # Docker sets the FORWARD policy to DROP; pods on the bridge may still talk.
    within_bridge = ["-i", BRIDGE, "-o", BRIDGE, *tag, "-j", "ACCEPT"]
    # Nothing leaves this machine from a pod: refused at once (not dropped, so a library
    # that tries the network fails fast instead of waiting for a timeout).
    nowhere_else = ["-i", BRIDGE, "!", "-o", BRIDGE, *tag, "-j", "REJECT"]
    return [
        ("nat", "PREROUTING", to_apiserver),
        ("filter", "FORWARD", within_bridge),
        ("filter", "FORWARD", nowhere_else),
    ]


def setup(apiserver_port: int) -> str:
    """Create the bridge with the node IP, enable route_localnet and add the rules.
    Returns route_localnet's previous value, for `teardown`."""
    teardown(None)  # what a node that died without `down` left behind
    _run("ip", "link", "add", BRIDGE, "type", "bridge")
    _run("ip", "addr", "add", f"{NODE_IP}/{ipaddress.ip_network(POD_SUBNET).prefixlen}",
         "dev", BRIDGE)  # fmt: skip
    _run("ip", "link", "set", BRIDGE, "up")
    previous = _ROUTE_LOCALNET.read_text().strip()
    _ROUTE_LOCALNET.write_text("1\n")
    for table, chain, rule in reversed(_rules(apiserver_port)):  # each goes first: keep order
        _run("iptables", "-t", table, "-I", chain, *rule)
    return previous


def _delete_tagged_rules() -> None:
    for table, chain in (("nat", "PREROUTING"), ("filter", "FORWARD")):
        listing = _run("iptables", "-t", table, "-S", chain, check=False).stdout
        for line in listing.splitlines():
            if RULE_COMMENT in line and line.startswith("-A "):
                spec = line.split()[2:]  # drop "-A CHAIN"
                _run("iptables", "-t", table, "-D", chain, *_unquote(spec), check=False)


def _unquote(words: list[str]) -> list[str]:
    return [w.strip('"') for w in words]


def _pod_namespaces() -> list[str]:
    """The network namespaces containerd made for this node's pods (an address in the
    pod subnet), which outlive their pods when the node is stopped by force."""
    subnet = ipaddress.ip_network(POD_SUBNET)
    found = []
    for entry in sorted(_NETNS_DIR.glob("cni-*")) if _NETNS_DIR.exists() else []:
        out = _run("ip", "-n", entry.name, "-4", "-o", "addr", "show", check=False).stdout
        for word in out.split():
            with contextlib.suppress(ValueError):
                if ipaddress.ip_interface(word).ip in subnet:
                    found.append(entry.name)
                    break
    return found


def teardown(route_localnet: str | None) -> None:
    """Remove the pods' namespaces, the bridge and the rules; restore route_localnet
    when its earlier value is known."""
    for name in _pod_namespaces():
        _run("ip", "netns", "delete", name, check=False)
    _delete_tagged_rules()
    if _run("ip", "link", "show", BRIDGE, check=False).returncode == 0:
        _run("ip", "link", "delete", BRIDGE, check=False)
    if route_localnet is not None:
        _ROUTE_LOCALNET.write_text(f"{route_localnet}\n")
