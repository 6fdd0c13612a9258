"""How a TrainingRun becomes its campaign's: the campaign label (so the campaign's reconcile
lists it) and an owner reference (so deleting the campaign deletes it, and through it its
Job). A run whose campaign does not exist is marked with a CampaignNotFound condition.

The campaign's reconcile sees every run whose spec.campaign names it (the runs' index is
keyed by it, cache.py) and adds whichever of the two it lacks; while the campaign does not
exist, its runs are marked, and they are adopted when it appears.
"""

from datetime import UTC, datetime
from typing import Any

from kintern.api.conditions import Reason
from kintern.api.ownership import CAMPAIGN_KIND, run_labels, run_owner_reference
from kintern.core.refusals import orphan_status
from kintern_operator import naming
from kintern_operator.kube import PLURAL_RUNS, Kube


def labelled(run: dict[str, Any], campaign: str) -> bool:
    labels = run["metadata"].get("labels") or {}
    return labels.get(naming.CAMPAIGN_LABEL) == naming.label_value(campaign)


def owned_by_a_campaign(run: dict[str, Any]) -> bool:
    owners = run["metadata"].get("ownerReferences") or []
    return any(o.get("kind") == CAMPAIGN_KIND for o in owners)


def adoption(run: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    """The metadata patch that adds whichever of the label and the owner reference the run
    lacks: empty when it has both, as the runs the agent creates do (kintern.api.ownership)."""
    meta, patch = run["metadata"], dict[str, Any]()
    name, uid = campaign["metadata"]["name"], campaign["metadata"]["uid"]
    if not labelled(run, name):
        patch["labels"] = run_labels(name)
    owners = meta.get("ownerReferences") or []
    if not any(o.get("uid") == uid for o in owners):
        patch["ownerReferences"] = [*owners, run_owner_reference(name, uid)]
    return patch


def mark_orphan(kube: Kube, run: dict[str, Any], campaign: str) -> None:
    """Say on the run that its campaign does not exist (once). The campaign's reconcile
    sees it among the runs naming it (cache.py), and adopts it once the campaign exists."""
    meta = run["metadata"]
    conditions = (run.get("status") or {}).get("conditions") or []
    if any(c.get("reason") == Reason.CAMPAIGN_NOT_FOUND for c in conditions):
        return
    message = (
        f"campaign {campaign!r} does not exist in namespace {meta['namespace']}; "
        "set spec.campaign to an existing PostTrainingCampaign"
    )
    status = orphan_status(meta.get("generation"), message, datetime.now(UTC))
    kube.patch_status(PLURAL_RUNS, meta["namespace"], meta["name"], status.to_dict())
    kube.event(run, "Warning", Reason.CAMPAIGN_NOT_FOUND, message)
