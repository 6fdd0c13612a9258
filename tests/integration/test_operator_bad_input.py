"""Bad runs get a clear condition and an Event; the operator keeps working."""

import pytest

from tests.support.kintern_api import KinternApi, condition, events_for
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


def test_bad_runs_are_explained_and_the_operator_keeps_working(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:
        admin.create_campaign(
            **{"approvals.mode": "Manual", "approvals.policy": {"allowedRecipes": ["sft", "eval"]}}
        )
        admin.wait_campaign("Running")
        admin.create_run("orphan", campaign="nope")
        admin.create_run("grpo", recipe="grpo")
        admin.create_run("custom", recipe="custom", script={"configMap": "prep"})
        admin.create_run("typo")
        admin.wait_run("typo", "AwaitingApproval")
        admin.annotate_run("typo", {"kintern.dev/approve": "yes please"})

        orphan = admin.wait_run("orphan", "Pending")
        assert condition(orphan, "Approved")["reason"] == "CampaignNotFound"
        assert "'nope' does not exist" in orphan["status"]["message"]
        grpo = admin.wait_run("grpo", "Rejected")
        assert "recipe 'grpo' is not allowed" in grpo["status"]["message"]
        custom = admin.wait_run("custom", "Rejected")
        assert "allowCustomCode" in custom["status"]["message"]
        assert condition(custom, "Approved")["reason"] == "RejectedByPolicy"

        def invalid():
            c = condition(admin.run("typo"), "Approved")
            return c if c and c["reason"] == "InvalidAnnotation" else None

        bad = eventually(invalid, "the invalid annotation condition")
        assert '"true" nor "false"' in bad["message"]
        assert admin.run("typo")["status"]["phase"] == "AwaitingApproval"
        for name, reason in [
            ("orphan", "CampaignNotFound"),
            ("custom", "RejectedByPolicy"),
            ("typo", "InvalidAnnotation"),
        ]:
            assert reason in events_for(cluster.api, namespace, name)

        # The operator still works: a good run after the bad ones is approved and launched.
        admin.annotate_run("typo", {"kintern.dev/approve": "true"})
        admin.wait_run("typo", "Running")
        assert operator.popen.poll() is None
