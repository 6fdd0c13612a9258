"""Cluster access for the operator: create-or-adopt, patch, delete, Events; every call
bounded in time. (Reads come from the watches: cache.py.)

Everything goes through the kubernetes client; bodies are plain dicts in the wire shape.
"""

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse
from urllib3 import BaseHTTPResponse, Retry
from urllib3.exceptions import HTTPError

from kintern.api.conditions import now_rfc3339
from kintern_operator import naming

log = logging.getLogger(__name__)
PLURAL_CAMPAIGNS = "posttrainingcampaigns"
PLURAL_RUNS = "trainingruns"
# What an apiserver that is away, refusing or too slow raises (a timeout included): worth
# trying again later. Anything else is a bug and is not retried behind a green /healthz.
TRANSIENT: tuple[type[Exception], ...] = (ApiException, HTTPError, OSError)


class BoundedApiClient(client.ApiClient):
    """An ApiClient whose every request has a connect and a read timeout (the client's own
    default is none: one call to an apiserver that stopped answering would pin its thread,
    and the campaign it was reconciling, forever). A call that passes its own
    `_request_timeout` keeps it."""

    def __init__(self, configuration: client.Configuration, timeout: tuple[float, float]) -> None:
        # A read that timed out is not sent again behind the caller's back: that would
        # multiply the bound. Refused connections are retried twice.
        configuration.retries = Retry(total=2, read=0, redirect=0)
        super().__init__(configuration)
        self.timeout = timeout

    def call_api(
        self,
        method: str,
        url: str,
        header_params: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        timeout = _request_timeout or self.timeout
        return super().call_api(
            method, url, header_params, body, post_params, _request_timeout=timeout
        )


def bounded_api(connect_seconds: float, read_seconds: float) -> BoundedApiClient:
    """A client for the cluster the process runs in (or the kubeconfig's), with timeouts."""
    config.load_config()
    return BoundedApiClient(
        client.Configuration.get_default_copy(), (connect_seconds, read_seconds)
    )


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

    def patch_status(
        self, plural: str, namespace: str, name: str, status: dict[str, Any]
    ) -> dict[str, Any]:
        """Merge `status` into the object's status; the object as the apiserver answered.
        A field to clear must be None in `status` (see `merge_patch`)."""
        return _object(
            self.custom.patch_namespaced_custom_object_status(
                naming.GROUP, naming.VERSION, namespace, plural, name, {"status": status}
            )
        )

    def patch_metadata(
        self, plural: str, namespace: str, name: str, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        return _object(
            self.custom.patch_namespaced_custom_object(
                naming.GROUP, naming.VERSION, namespace, plural, name, {"metadata": metadata}
            )
        )

    # --- jobs and pods ----------------------------------------------------------------

    def find_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The Job called `name`, whoever made it (a list by name: the operator's Role
        grants list, not get)."""
        found = self.batch.list_namespaced_job(
            namespace, field_selector=f"metadata.name={name}", _preload_content=False
        )
        items = _raw(found)["items"]
        return dict(items[0]) if items else None

    def delete_job(self, namespace: str, name: str) -> None:
        try:
            self.batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
        except ApiException as err:
            if err.status != 404:
                raise

    def set_job_suspended(self, namespace: str, name: str, suspend: bool) -> None:
        self.batch.patch_namespaced_job(name, namespace, {"spec": {"suspend": suspend}})

    # --- create or adopt --------------------------------------------------------------

    def ensure(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Create `body`: the created object, or None if one of that name exists already
        (kept as it is)."""
        kind, ns = body["kind"], body["metadata"]["namespace"]
        creators: dict[str, Callable[..., object]] = {
            "Job": self.batch.create_namespaced_job,
            "ServiceAccount": self.core.create_namespaced_service_account,
            "ConfigMap": self.core.create_namespaced_config_map,
            "Role": self.rbac.create_namespaced_role,
            "RoleBinding": self.rbac.create_namespaced_role_binding,
            "TrainingRun": lambda ns, body, **kwargs: self.custom.create_namespaced_custom_object(
                naming.GROUP, naming.VERSION, ns, "trainingruns", body, **kwargs
            ),
        }
        try:
            response = creators[kind](ns, body, _preload_content=False)
        except ApiException as err:
            if err.status == 409:
                return None
            raise
        return _raw(response)

    def read(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """An agent object (ServiceAccount, Role, RoleBinding or ConfigMap) as the
        apiserver sent it, or None when there is none."""
        readers: dict[str, Callable[..., object]] = {
            "ServiceAccount": self.core.read_namespaced_service_account,
            "ConfigMap": self.core.read_namespaced_config_map,
            "Role": self.rbac.read_namespaced_role,
            "RoleBinding": self.rbac.read_namespaced_role_binding,
        }
        try:
            response = readers[kind](name, namespace, _preload_content=False)
        except ApiException as err:
            if err.status == 404:
                return None
            raise
        return _raw(response)

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
            self.core.create_namespaced_event(
                meta["namespace"], client.CoreV1Event.model_validate(body)
            )
        except ApiException as err:
            log.warning("could not record event %s on %s: %s", reason, meta["name"], err.reason)


def _object(answer: object) -> dict[str, Any]:
    """A custom object as the apiserver answered it (the client types it as `object`)."""
    if not isinstance(answer, dict):
        raise TypeError(f"expected an object from the apiserver, got {type(answer).__name__}")
    return answer


def _raw(response: object) -> dict[str, Any]:
    """The body of a call made with `_preload_content=False`: the raw HTTP response (the
    client's signatures name the parsed model whatever that flag says)."""
    if not isinstance(response, BaseHTTPResponse):
        raise TypeError(f"expected a raw HTTP response, got {type(response).__name__}")
    return _object(json.loads(response.data))


def merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The JSON merge patch that turns `old` into `new`: a key `new` lacks must be sent as
    null, or the apiserver keeps it (a requeued run's startTime would stay forever)."""
    patch: dict[str, Any] = dict(new)
    for key, value in old.items():
        if key not in new:
            patch[key] = None
        elif isinstance(value, dict) and isinstance(new[key], dict):
            patch[key] = merge_patch(value, new[key])
    return patch
