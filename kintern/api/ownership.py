"""How a TrainingRun belongs to its campaign: the campaign label (the agent lists its runs
by it) and an owner reference to the campaign (deleting the campaign deletes its runs).

The agent writes both when it creates a run, so the operator has nothing to add; a run
made by hand gets them from the operator's adoption, built by the same functions.
"""

from typing import Any

from kintern.api import API_VERSION
from kintern.api.names import CAMPAIGN_LABEL, fit_name

CAMPAIGN_KIND = "PostTrainingCampaign"


def run_labels(campaign: str) -> dict[str, str]:
    """The label that files a run under its campaign."""
    return {CAMPAIGN_LABEL: fit_name(campaign)}


def run_owner_reference(campaign: str, uid: str) -> dict[str, Any]:
    """A run's owner reference to its campaign. Not the controller (the run is the user's
    or the agent's object, the operator only acts on it) and not blocking the campaign's
    deletion (which would need delete rights on the campaign to set)."""
    return {
        "apiVersion": API_VERSION,
        "kind": CAMPAIGN_KIND,
        "name": campaign,
        "uid": uid,
        "controller": False,
        "blockOwnerDeletion": False,
    }
