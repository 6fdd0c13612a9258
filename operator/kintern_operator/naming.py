"""Deterministic names and labels of everything the operator creates.

Deterministic names are what make every reconcile step safe to repeat: a second create
of the same object answers 409 and is adopted, never duplicated.
"""

from kintern.api.names import (
    AGENT_SA_PREFIX,
    CAMPAIGN_LABEL,
    RUN_LABEL,
    agent_service_account,
    agent_state_config_map,
    fit_name,
)

__all__ = [
    "AGENT_SA_PREFIX",
    "CAMPAIGN_LABEL",
    "COMPONENT_LABEL",
    "GROUP",
    "MANAGED_BY",
    "RUN_LABEL",
    "VERSION",
    "agent_job",
    "agent_service_account",
    "agent_state_config_map",
    "campaign_labels",
    "label_value",
    "run_job",
]

GROUP = "kintern.dev"
VERSION = "v1alpha1"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kintern-operator"}


def run_job(run: str) -> str:
    return fit_name(f"trun-{run}")


def agent_job(campaign: str) -> str:
    return fit_name(f"{campaign}-agent")


def campaign_labels(campaign: str, component: str) -> dict[str, str]:
    return {CAMPAIGN_LABEL: fit_name(campaign), COMPONENT_LABEL: component, **MANAGED_BY}


def label_value(name: str) -> str:
    return fit_name(name)
