"""A run the agent creates is already its campaign's: the operator's adoption patch is
empty, so the operator writes nothing for it; a run made by hand gets the same label and
owner reference from the operator."""

from kintern.api.ownership import run_labels, run_owner_reference
from kintern_operator.adoption import adoption

CAMPAIGN = {
    "apiVersion": "kintern.dev/v1alpha1",
    "kind": "PostTrainingCampaign",
    "metadata": {"name": "demo", "namespace": "ns", "uid": "uid-1"},
}


def test_a_run_created_as_the_agent_creates_it_needs_no_patch():
    run = {
        "metadata": {
            "name": "demo-r001",
            "labels": run_labels("demo"),
            "ownerReferences": [run_owner_reference("demo", "uid-1")],
        }
    }
    assert adoption(run, CAMPAIGN) == {}


def test_a_bare_run_gets_the_label_and_the_owner_reference_the_agent_would_write():
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-x"}
    run = {"metadata": {"name": "by-hand", "ownerReferences": [other]}}
    assert adoption(run, CAMPAIGN) == {
        "labels": run_labels("demo"),
        "ownerReferences": [other, run_owner_reference("demo", "uid-1")],
    }


def test_an_owner_reference_to_an_earlier_campaign_of_the_same_name_is_not_enough():
    run = {
        "metadata": {
            "name": "demo-r001",
            "labels": run_labels("demo"),
            "ownerReferences": [run_owner_reference("demo", "uid-0")],
        }
    }
    assert adoption(run, CAMPAIGN)["ownerReferences"][-1]["uid"] == "uid-1"
