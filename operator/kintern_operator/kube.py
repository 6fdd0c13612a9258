"""Cluster access for the operator: list, create-or-adopt, patch status, delete, Events.

Everything goes through the kubernetes client; bodies are plain dicts in the wire shape.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kintern.api.conditions import now_rfc3339
from kintern_operator import naming

log = logging.getLogger(__name__)
PLURAL_CAMPAIGNS = "posttrainingcampaigns"
PLURAL_RUNS = "trainingruns"


@dataclass
class Kube:
    """Typed access to the APIs the operator uses, sharing one ApiClient."""

    api: client.ApiClient

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api)

    @property
    def rbac(self) -> client.RbacAuthorizationV1Api:
        return client.RbacAuthorizationV1Api(self.api)

    def plain(self, obj: Any) -> Any:
        return self.api.sanitize_for_serialization(obj)

    # --- custom resources -------------------------------------------------------------

    def get_campaign(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._get_custom(namespace, PLURAL_CAMPAIGNS, name)

    def get_run(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._get_custom(namespace, PLURAL_RUNS, name)

    def _get_custom(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object(
                naming.GROUP, naming.VERSION, namespace, plural, name
            )
        except ApiException as err:
            if err.status == 404:
                return None
            raise

    def list_runs(self, namespace: str, campaign: str) -> list[dict[str, Any]]:
        selector = f"{naming.CAMPAIGN_LABEL}={naming.label_value(campaign)}"
        items = self.custom.list_namespaced_custom_object(
            naming.GROUP, naming.VERSION, namespace, PLURAL_RUNS, label_selector=selector
        )["items"]
        mine = [r for r in items if (r.get("spec") or {}).get("campaign") == campaign]
        return sorted(
            mine, key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"])
        )

    def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object_status(
            naming.GROUP, naming.VERSION, namespace, plural, name, {"status": status}
        )

    def patch_metadata(
        self, plural: str, namespace: str, name: str, metadata: dict[str, Any]
    ) -> None:
        self.custom.patch_namespaced_custom_object(
            naming.GROUP, naming.VERSION, namespace, plural, name, {"metadata": metadata}
        )

    # --- jobs and pods ----------------------------------------------------------------

    def list_jobs(self, namespace: str, campaign: str) -> list[dict[str, Any]]:
        selector = f"{naming.CAMPAIGN_LABEL}={naming.label_value(campaign)}"
        return _items(self.batch.list_namespaced_job, namespace, selector)

    def list_pods(self, namespace: str, campaign: str) -> list[dict[str, Any]]:
        selector = f"{naming.CAMPAIGN_LABEL}={naming.label_value(campaign)}"
        return _items(self.core.list_namespaced_pod, namespace, selector)

    def find_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The Job called `name`, whoever made it (a list by name: the operator's Role
        grants list, not get)."""
        found = self.batch.list_namespaced_job(
            namespace, field_selector=f"metadata.name={name}", _preload_content=False
        )
        items = json.loads(found.data)["items"]
        return items[0] if items else None

    def delete_job(self, namespace: str, name: str) -> None:
        try:
            self.batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
        except ApiException as err:
            if err.status != 404:
                raise

    def set_job_suspended(self, namespace: str, name: str, suspend: bool) -> None:
        self.batch.patch_namespaced_job(name, namespace, {"spec": {"suspend": suspend}})

    # --- create or adopt --------------------------------------------------------------

    def ensure(self, body: dict[str, Any]) -> bool:
        """Create `body`; if it exists already, keep the existing one. True if created."""
        kind, ns = body["kind"], body["metadata"]["namespace"]
        creators = {
            "Job": lambda: self.batch.create_namespaced_job(ns, body),
            "ServiceAccount": lambda: self.core.create_namespaced_service_account(ns, body),
            "ConfigMap": lambda: self.core.create_namespaced_config_map(ns, body),
            "Role": lambda: self.rbac.create_namespaced_role(ns, body),
            "RoleBinding": lambda: self.rbac.create_namespaced_role_binding(ns, body),
            "TrainingRun": lambda: self.custom.create_namespaced_custom_object(
                naming.GROUP, naming.VERSION, ns, "trainingruns", body
            ),
        }
        try:
            creators[kind]()
            return True
        except ApiException as err:
            if err.status == 409:
                return False
            raise

    def ensure_role(self, body: dict[str, Any]) -> None:
        """Create the Role, or bring its rules to `body`'s when they drifted."""
        if self.ensure(body):
            return
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        current = self.plain(self.rbac.read_namespaced_role(name, ns))
        if current.get("rules") != body["rules"]:
            self.rbac.patch_namespaced_role(name, ns, {"rules": body["rules"]})

    def set_role_rules(self, body: dict[str, Any]) -> bool:
        """Patch an existing Role's rules to `body`'s; False when the Role is gone."""
        ns, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            self.rbac.patch_namespaced_role(name, ns, {"rules": body["rules"]})
        except ApiException as err:
            if err.status == 404:
                return False
            raise
        return True

    # --- events -----------------------------------------------------------------------

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Record a Kubernetes Event on `obj`; failures are logged, never raised."""
        meta = obj["metadata"]
        body = {
            "metadata": {
                "name": f"{meta['name']}.{secrets.token_hex(6)}",
                "namespace": meta["namespace"],
            },
            "involvedObject": {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta.get("uid"),
            },
            "type": type_,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": "kintern-operator"},
            "firstTimestamp": now_rfc3339(),
            "lastTimestamp": now_rfc3339(),
            "count": 1,
            "reportingComponent": "kintern-operator",
        }
        try:
            self.core.create_namespaced_event(meta["namespace"], body)
        except ApiException as err:
            log.warning("could not record event %s on %s: %s", reason, meta["name"], err.reason)


def _items(lister: Any, namespace: str, selector: str) -> list[dict[str, Any]]:
    """The listed objects as the apiserver sent them (wire-shaped dicts): no detour through
    the client's models, which cost more CPU than the rest of a reconcile at scale."""
    response = lister(namespace, label_selector=selector, _preload_content=False)
    return list(json.loads(response.data)["items"])
