"""A run made by hand before its campaign exists is marked CampaignNotFound, and is
adopted and run once the campaign is created."""

import pytest

from tests.support.kintern_api import KinternApi, condition
from tests.support.operator import OperatorProcess

pytestmark = pytest.mark.cluster


def test_a_run_made_before_its_campaign_is_adopted_when_the_campaign_appears(
    cluster, namespace, tmp_path
):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path):
        admin.create_run("demo-early")
        early = admin.wait_run("demo-early", "Pending")
        assert condition(early, "Approved")["reason"] == "CampaignNotFound"
        created = admin.create_campaign()
        admin.wait_campaign("Running")
        run = admin.wait_run("demo-early", "Queued", "Running")
    assert condition(run, "Approved")["status"] == "True"
    owners = run["metadata"]["ownerReferences"]
    assert [o["uid"] for o in owners] == [created["metadata"]["uid"]]
