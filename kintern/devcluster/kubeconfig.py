"""Writes kubeconfig files: client-certificate ones for the cluster's components and the
admin, token ones for ServiceAccounts (the integration tests' RBAC checks).
"""

from pathlib import Path
from typing import Any

import yaml


def _document(server: str, ca: Path, user_name: str, user: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "kintern", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": user_name, "user": user}],
        "contexts": [{"name": "kintern", "context": {"cluster": "kintern", "user": user_name}}],
        "current-context": "kintern",
        "preferences": {},
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    path.chmod(0o600)
    return path


def write_cert_kubeconfig(
    path: Path, server: str, ca: Path, cert: Path, key: Path, user_name: str
) -> Path:
    """A kubeconfig that authenticates with a client certificate."""
    user = {"client-certificate": str(cert), "client-key": str(key)}
    return _write(path, _document(server, ca, user_name, user))


def write_token_kubeconfig(path: Path, server: str, ca: Path, token: str, user_name: str) -> Path:
    """A kubeconfig that authenticates with a bearer token (e.g. from a TokenRequest)."""
    return _write(path, _document(server, ca, user_name, {"token": token}))
