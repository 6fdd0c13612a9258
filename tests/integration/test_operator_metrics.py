"""The operator's Prometheus endpoint, scraped while a campaign moves."""

import pytest

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import KinternApi, result_message
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_move_with_the_campaign(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:
        admin.create_campaign(**{"approvals.mode": "Manual", "budget.gpuHours": 10})
        admin.wait_campaign("Running")
        m = eventually(
            lambda: (
                (t := operator.metrics()) and _value(t, "kintern_campaigns", phase="Running") and t
            ),
            "campaigns gauge",
        )
        assert _value(m, "kintern_campaign_gpu_hours_budget", campaign="demo") == 10
        admin.create_run("demo-r001")
        admin.wait_run("demo-r001", "AwaitingApproval")
        m = eventually(
            lambda: (
                (t := operator.metrics())
                and _value(t, "kintern_approvals_pending", campaign="demo") == 1
                and t
            ),
            "pending approval",
        )
        with FakeTrainer(
            cluster.api, namespace, {}, default=Outcome(0, result_message(0.7), after_seconds=1)
        ):
            admin.annotate_run("demo-r001", {"kintern.dev/approve": "true"})
            admin.wait_run("demo-r001", "Succeeded")
        m = eventually(
            lambda: (
                (t := operator.metrics())
                and _value(t, "kintern_campaign_best_score", campaign="demo") == 0.7
                and t
            ),
            "best score",
        )
    assert _value(m, "kintern_approvals_pending", campaign="demo") == 0
    assert _value(m, "kintern_approval_wait_seconds_count", mode="Manual") == 1
    assert _value(m, "kintern_training_runs", campaign="demo", phase="Succeeded") == 1
    assert _value(m, "kintern_campaign_gpu_hours_used", campaign="demo") > 0
    assert _value(m, "kintern_jobs_created_total") >= 1
    assert _value(m, "kintern_reconcile_duration_seconds_count") > 0
