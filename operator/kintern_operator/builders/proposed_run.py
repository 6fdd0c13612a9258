"""A TrainingRun the campaign proposes itself (publishing its best model), owned by it."""

from typing import Any

from kintern.api.run import TrainingRun
from kintern_operator import naming
from kintern_operator.builders.common import owner_reference


def build_proposed_run(campaign_body: dict[str, Any], run: TrainingRun) -> dict[str, Any]:
    """The run's object: labelled with its campaign and run name, owned by the campaign."""
    name = run.metadata["name"]
    campaign = campaign_body["metadata"]["name"]
    labels = {**naming.campaign_labels(campaign, "run"), naming.RUN_LABEL: naming.label_value(name)}
    return {
        "apiVersion": f"{naming.GROUP}/{naming.VERSION}",
        "kind": "TrainingRun",
        "metadata": {
            "name": name,
            "namespace": campaign_body["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(campaign_body)],
        },
        "spec": run.spec.to_dict(),
    }
