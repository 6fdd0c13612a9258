"""The agent's CampaignBackend on a cluster, with the agent's own ServiceAccount.

What it touches, and nothing else (the operator's Role for the agent allows exactly
this): TrainingRuns of its namespace (create, get, list), its campaign (get) and the
campaign's status (merge patch of the agent-owned fields only), the logs of its runs'
pods, and its state ConfigMap `<campaign>-agent-state` (key `state`, gzip + base64,
so a long memory fits the 1 MiB limit). Refusals (403), missing objects (404) and
invalid specs (422) come back as BackendErrors with the apiserver's own message.

A run is created already filed under its campaign (label and owner reference,
kintern.api.ownership), so the operator need not patch it. Where the apiserver refuses
owner references from a client that may not delete runs (the OwnerReferencesPermission-
Enforcement admission plugin, or a policy like it), the run is created without one and the
operator adopts it.
"""

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from kintern.api import API_VERSION, GROUP, VERSION
from kintern.api.campaign import CampaignStatus, PostTrainingCampaign, Usage
from kintern.api.names import CAMPAIGN_LABEL, agent_state_config_map, fit_name
from kintern.api.ownership import run_labels, run_owner_reference
from kintern.api.run import TrainingRun, TrainingRunSpec
from kintern.core.backend import BackendError

CAMPAIGNS = "posttrainingcampaigns"
RUNS = "trainingruns"
STATE_KEY = "state"
STATE_PREFIX = "gzip+base64:"
MERGE_PATCH = "application/merge-patch+json"
REQUEST_TIMEOUT_S = 30
FIELD_MANAGER = "kintern-agent"  # who wrote what, in each object's managedFields


class KubernetesBackend:
    """One campaign's window on the cluster."""

    def __init__(self, campaign: str, namespace: str, api: client.ApiClient):
        self.name = campaign
        self.namespace = namespace
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)
        self.state_config_map = agent_state_config_map(campaign)
        self._campaign_uid: str | None = None
        self._owner_refused = False

    @classmethod
    def connect(
        cls, campaign: str, namespace: str, kubeconfig: Path | None = None
    ) -> "KubernetesBackend":
        """In the pod: the mounted ServiceAccount token; elsewhere: a kubeconfig file."""
        configuration = client.Configuration()
        if kubeconfig is None:
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(str(kubeconfig), client_configuration=configuration)
        return cls(campaign, namespace, client.ApiClient(configuration))

    def campaign(self) -> PostTrainingCampaign:
        body = self._call(
            "read the campaign",
            self.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            CAMPAIGNS,
            self.name,
        )
        self._campaign_uid = body["metadata"]["uid"]
        return PostTrainingCampaign.model_validate(body)

    def create_run(self, name: str, spec: TrainingRunSpec) -> TrainingRun:
        if spec.campaign != self.name:
            raise BackendError(f"spec.campaign must be {self.name}, not {spec.campaign}")
        metadata: dict[str, Any] = {"name": name, "labels": run_labels(self.name)}
        if not self._owner_refused:
            uid = self._campaign_uid or self.campaign().metadata["uid"]
            metadata["ownerReferences"] = [run_owner_reference(self.name, uid)]
        body = {
            "apiVersion": API_VERSION,
            "kind": "TrainingRun",
            "metadata": metadata,
            "spec": spec.to_dict(),
        }
        try:
            created = self.custom.create_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                RUNS,
                body,
                field_manager=FIELD_MANAGER,
                _request_timeout=REQUEST_TIMEOUT_S,
            )
        except ApiException as e:
            if e.status == 403 and "ownerReferences" in metadata:
                # Perhaps only the owner reference was refused: the operator adds it instead.
                self._owner_refused = True
                return self.create_run(name, spec)
            if e.status != 409:
                raise backend_error(f"create run {name}", e) from e
            return self.get_run(name)
        except HTTPError as e:
            raise BackendError(f"could not create run {name}: the apiserver is unreachable") from e
        return TrainingRun.model_validate(created)

    def list_runs(self) -> list[TrainingRun]:
        body = self._call(
            "list runs",
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            RUNS,
            label_selector=f"{CAMPAIGN_LABEL}={fit_name(self.name)}",
        )
        mine = [r for r in body["items"] if r.get("spec", {}).get("campaign") == self.name]
        mine.sort(key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"]))
        return [TrainingRun.model_validate(r) for r in mine]

    def get_run(self, name: str) -> TrainingRun:
        body = self._call(
            f"read run {name}",
            self.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            RUNS,
            name,
        )
        if body.get("spec", {}).get("campaign") != self.name:
            raise BackendError(f"run {name} belongs to another campaign")
        return TrainingRun.model_validate(body)

    def run_logs(self, name: str, tail_lines: int = 50) -> str:
        """The log tail the operator keeps, redacted, in the run's status (a failed run's):
        the agent holds no right to read pod logs."""
        tail = self.get_run(name).status.log_tail or ""
        return "\n".join(tail.splitlines()[-tail_lines:])

    def report_progress(
        self,
        iterations: int,
        tokens: int,
        cost_usd: float,
        summary: str | None = None,
        done: bool = False,
    ) -> None:
        self._call(
            "report progress",
            self.custom.patch_namespaced_custom_object_status,
            GROUP,
            VERSION,
            self.namespace,
            CAMPAIGNS,
            self.name,
            progress_patch(iterations, tokens, cost_usd, summary, done),
            _content_type=MERGE_PATCH,
        )

    def load_state(self) -> str | None:
        config_map = self._call(
            "read the agent's state",
            self.core.read_namespaced_config_map,
            self.state_config_map,
            self.namespace,
        )
        text = (config_map.data or {}).get(STATE_KEY)
        return decode_state(text) if text else None

    def save_state(self, state: str) -> None:
        self._call(
            "save the agent's state",
            self.core.patch_namespaced_config_map,
            self.state_config_map,
            self.namespace,
            {"data": {STATE_KEY: encode_state(state)}},
            _content_type=MERGE_PATCH,
        )

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, _request_timeout=REQUEST_TIMEOUT_S, **kwargs)
        except ApiException as e:
            raise backend_error(what, e) from e
        except HTTPError as e:
            raise BackendError(f"could not {what}: the apiserver is unreachable ({e})") from e


def progress_patch(
    iterations: int, tokens: int, cost_usd: float, summary: str | None, done: bool
) -> dict[str, Any]:
    """A merge patch of only the agent-owned status fields, with the API's own names."""
    usage = Usage(
        agent_iterations=iterations, agent_tokens=tokens, agent_cost_usd=round(cost_usd, 6)
    ).model_dump(by_alias=True, include={"agent_iterations", "agent_tokens", "agent_cost_usd"})
    status = CampaignStatus(agent_done=done, agent_summary=summary).model_dump(
        by_alias=True, include={"agent_done", "agent_summary"}, exclude_none=True
    )
    return {"status": {"usage": usage, **status}}


def encode_state(state: str) -> str:
    return STATE_PREFIX + base64.b64encode(gzip.compress(state.encode())).decode()


def decode_state(text: str) -> str:
    if not text.startswith(STATE_PREFIX):
        return text
    return gzip.decompress(base64.b64decode(text.removeprefix(STATE_PREFIX))).decode()


def backend_error(what: str, e: ApiException) -> BackendError:
    """The apiserver's refusal as a sentence: forbidden, not found, invalid, ..."""
    try:
        message = json.loads(e.body or "{}").get("message") or e.reason
    except ValueError:
        message = e.reason
    kind = {403: "forbidden", 404: "not found", 409: "conflict", 422: "invalid"}.get(
        e.status or 0, f"HTTP {e.status}"
    )
    return BackendError(f"could not {what} ({kind}): {message}")
