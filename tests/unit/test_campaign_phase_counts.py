"""kintern_campaigns counts each namespace's campaigns by phase, deletions included: the
KinternCampaignFailed alert clears when the failed campaign is deleted."""

from prometheus_client import REGISTRY

from kintern_operator import metrics
from tests.support.builders import campaign


def _count(namespace: str, phase: str) -> float | None:
    labels = {"namespace": namespace, "phase": phase}
    return REGISTRY.get_sample_value("kintern_campaigns", labels)


def test_deleting_the_last_failed_campaign_of_a_namespace_clears_its_count() -> None:
    failed = campaign("lone-failed")
    failed.metadata["namespace"] = "phase-counts"
    failed.status.phase = "Failed"
    metrics.report_campaign(failed, [])
    assert _count("phase-counts", "Failed") == 1
    metrics.forget_campaign("phase-counts", "lone-failed")
    assert _count("phase-counts", "Failed") == 0
