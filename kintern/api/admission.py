"""Admission policies the cluster itself enforces, rendered from the API models.

- `kintern-record-approver` (MutatingAdmissionPolicy): whoever sets or changes a run's
  approve/reject annotation is written into `kintern.dev/approved-by` by the apiserver,
  from the authenticated request, so the record cannot be forged by the client.
- `kintern-agent-guard` (ValidatingAdmissionPolicy): an agent's ServiceAccount can never
  approve or reject runs, propose runs for another campaign, give a custom script the Hub
  token, or change any part of its campaign's status other than the fields the agent owns.

Both are written to `crds/kintern.dev_admission-policies.yaml` with the CRDs.
"""

from typing import Any

from kintern.api.annotations import APPROVE_ANNOTATION, APPROVED_BY_ANNOTATION, REJECT_ANNOTATION
from kintern.api.campaign import CampaignStatus, Usage
from kintern.api.names import AGENT_SA_PREFIX

AGENT_STATUS_FIELDS = ("agentSummary", "agentDone")
AGENT_USAGE_FIELDS = ("agentIterations", "agentTokens", "agentCostUsd")
_ADMISSION = "admissionregistration.k8s.io/v1"
_RUNS = {"apiGroups": ["kintern.dev"], "apiVersions": ["*"], "resources": ["trainingruns"]}

IS_AGENT = (
    "request.userInfo.username.startsWith('system:serviceaccount:') && "
    f"request.userInfo.username.split(':')[3].startsWith('{AGENT_SA_PREFIX}')"
)
AGENT_CAMPAIGN = f"request.userInfo.username.split(':')[3].substring({len(AGENT_SA_PREFIX)})"


def _annotation(obj: str, key: str) -> str:
    return f"({obj}.metadata.?annotations[?'{key}'].orValue(''))"


def _unchanged(path: str) -> str:
    new, old = f"object.{path}", f"oldObject.{path}"
    parent, leaf = path.rsplit(".", 1)
    return (
        f"(has(object.{parent}.{leaf}) == has(oldObject.{parent}.{leaf}) && "
        f"(!has(object.{parent}.{leaf}) || {new} == {old}))"
    )


def _operator_status_fields() -> list[str]:
    """Every status path the operator owns: all fields but the agent's."""
    top = [f.alias or n for n, f in CampaignStatus.model_fields.items()]
    usage = [f.alias or n for n, f in Usage.model_fields.items()]
    paths = [f"status.{k}" for k in top if k not in (*AGENT_STATUS_FIELDS, "usage")]
    paths += [f"status.usage.{k}" for k in usage if k not in AGENT_USAGE_FIELDS]
    return paths


def record_approver_policy() -> list[dict[str, Any]]:
    decided = " || ".join(
        f"{_annotation('object', k)} != {_annotation('oldObject', k)}"
        for k in (APPROVE_ANNOTATION, REJECT_ANNOTATION)
    )
    policy = {
        "apiVersion": _ADMISSION,
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": "kintern-record-approver"},
        "spec": {
            "matchConstraints": {"resourceRules": [{**_RUNS, "operations": ["CREATE", "UPDATE"]}]},
            "matchConditions": [
                {
                    "name": "approval-decided",
                    "expression": (
                        f"request.operation == 'CREATE' ? "
                        f"({_annotation('object', APPROVE_ANNOTATION)} != '' || "
                        f"{_annotation('object', REJECT_ANNOTATION)} != '') : ({decided})"
                    ),
                }
            ],
            "failurePolicy": "Fail",
            "reinvocationPolicy": "Never",
            "mutations": [
                {
                    "patchType": "ApplyConfiguration",
                    "applyConfiguration": {
                        "expression": (
                            "Object{metadata: Object.metadata{annotations: "
                            f"{{'{APPROVED_BY_ANNOTATION}': request.userInfo.username}}}}}}"
                        )
                    },
                }
            ],
        },
    }
    return [policy, _binding("kintern-record-approver", "MutatingAdmissionPolicyBinding")]


def agent_guard_policy() -> list[dict[str, Any]]:
    no_decision = " && ".join(
        f"{_annotation('object', k)} == ''"
        for k in (APPROVE_ANNOTATION, REJECT_ANNOTATION, APPROVED_BY_ANNOTATION)
    )
    status_kept = " && ".join(_unchanged(p) for p in _operator_status_fields())
    policy = {
        "apiVersion": _ADMISSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "kintern-agent-guard"},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {**_RUNS, "operations": ["CREATE", "UPDATE"]},
                    {
                        "apiGroups": ["kintern.dev"],
                        "apiVersions": ["*"],
                        "resources": ["posttrainingcampaigns", "posttrainingcampaigns/status"],
                        "operations": ["UPDATE"],
                    },
                ]
            },
            "matchConditions": [{"name": "is-agent", "expression": IS_AGENT}],
            "validations": [
                {
                    "expression": f"request.resource.resource != 'trainingruns' || ({no_decision})",
                    "message": "an agent cannot approve or reject runs: a person or the "
                    "campaign's policy does",
                    "reason": "Forbidden",
                },
                {
                    "expression": "request.resource.resource != 'trainingruns' || "
                    f"object.spec.campaign == {AGENT_CAMPAIGN}",
                    "message": "an agent may only propose runs for its own campaign",
                    "reason": "Forbidden",
                },
                {
                    "expression": "request.resource.resource != 'trainingruns' || "
                    "!has(object.spec.script) || !has(object.spec.script.hubToken) || "
                    "!object.spec.script.hubToken",
                    "message": "an agent cannot give a script the Hub token "
                    "(spec.script.hubToken): a person creates such runs",
                    "reason": "Forbidden",
                },
                {
                    "expression": "request.resource.resource != 'posttrainingcampaigns' || "
                    "(object.spec == oldObject.spec && request.subResource == 'status' && "
                    f"{status_kept})",
                    "message": "an agent may change only its own progress fields in the "
                    "campaign's status (agentIterations, agentTokens, agentCostUsd, "
                    "agentSummary, agentDone)",
                    "reason": "Forbidden",
                },
            ],
        },
    }
    return [policy, _binding("kintern-agent-guard", "ValidatingAdmissionPolicyBinding")]


def _binding(policy: str, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"policyName": policy}
    if kind == "ValidatingAdmissionPolicyBinding":
        spec["validationActions"] = ["Deny"]
    return {"apiVersion": _ADMISSION, "kind": kind, "metadata": {"name": policy}, "spec": spec}


def all_policies() -> list[dict[str, Any]]:
    return [*record_approver_policy(), *agent_guard_policy()]
