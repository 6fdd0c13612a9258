"""Pieces every manifest shares: owner references, and the security contexts that let the
agent's and the trainer's pods run in a namespace enforcing the `restricted` Pod Security
Standard."""

from typing import Any

from kintern.images import IMAGE_UID


def restricted_pod_security() -> dict[str, Any]:
    """Non-root as the images' own user; `fsGroup` makes a shared checkpoint volume
    writable by that user (checked only at the volume's root, so a large claim is not
    walked at every start)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": IMAGE_UID,
        "runAsGroup": IMAGE_UID,
        "fsGroup": IMAGE_UID,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """A controller owner reference to `owner` (a body with apiVersion, kind, metadata)."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
