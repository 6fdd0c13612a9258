"""Deterministic names and labels of everything the operator creates.

Deterministic names are what make every reconcile step safe to repeat: a second create
of the same object answers 409 and is adopted, never duplicated.
"""

import hashlib

GROUP = "kintern.dev"
VERSION = "v1alpha1"
CAMPAIGN_LABEL = "kintern.dev/campaign"
RUN_LABEL = "kintern.dev/run"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kintern-operator"}
AGENT_SA_PREFIX = "kintern-agent-"
_MAX_NAME = 63


def _fit(name: str, limit: int = _MAX_NAME) -> str:
    """`name` if it fits a label value, else a prefix plus a short hash of the whole."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-.')}-{digest}"


def run_job(run: str) -> str:
    return _fit(f"trun-{run}")


def agent_job(campaign: str) -> str:
    return _fit(f"{campaign}-agent")


def agent_service_account(campaign: str) -> str:
    """The agent's identity; the admission policy recognises agents by this prefix."""
    return _fit(f"{AGENT_SA_PREFIX}{campaign}")


def agent_state_config_map(campaign: str) -> str:
    return _fit(f"{campaign}-agent-state")


def campaign_labels(campaign: str, component: str) -> dict[str, str]:
    return {CAMPAIGN_LABEL: _fit(campaign), COMPONENT_LABEL: component, **MANAGED_BY}


def label_value(name: str) -> str:
    return _fit(name)
