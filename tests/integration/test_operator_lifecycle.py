"""The operator on the real control plane: a campaign from agent to best model.

The operator runs as a real process; the agent is played by the test with the campaign's
own ServiceAccount token; kwok runs the pods on fake H100 nodes and the fake trainer ends
them with a result, as a trainer would.
"""

import pytest
from kubernetes import client

from tests.support.fake_trainer import FakeTrainer, Outcome
from tests.support.kintern_api import (
    KinternApi,
    agent_identity,
    condition,
    events_for,
    result_message,
)
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


@pytest.fixture
def operator(cluster, namespace, tmp_path):
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as process:
        yield process


def test_manual_campaign_from_proposal_to_target(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"approvals.mode": "Manual", "objective.target": 0.5})
    admin.wait_campaign("Running")
    sa = agent_identity()
    eventually(lambda: _job(cluster, namespace, "demo-agent"), "the agent Job")

    agent = KinternApi(cluster.service_account_client(namespace, sa), namespace)
    agent.create_run("demo-r001", rationale="first SFT run on science QA")
    awaiting = agent.wait_run("demo-r001", "AwaitingApproval")
    assert condition(awaiting, "Approved")["status"] == "False"
    assert admin.campaign()["status"]["usage"]["runs"]["awaitingApproval"] == 1

    outcome = Outcome(0, result_message(0.62, "/checkpoints/demo-r001"))
    with FakeTrainer(cluster.api, namespace, {"trun-demo-r001": outcome}):
        cluster.kubectl("annotate", "-n", namespace, "trun/demo-r001", "kintern.dev/approve=true")
        cluster.kubectl(
            "wait", "-n", namespace, "--for=condition=Approved", "trun/demo-r001", "--timeout=60s"
        )
        pod = eventually(lambda: _scheduled_pod(cluster, namespace, "trun-demo-r001"), "the pod")
        node = client.CoreV1Api(cluster.api).read_node(pod.spec.node_name)
        assert node.metadata.labels["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
        done = admin.wait_run("demo-r001", "Succeeded")

    assert done["status"]["result"]["score"]["value"] == 0.62
    approved = condition(done, "Approved")
    assert approved["reason"] == "ApprovedByUser"
    campaign = admin.wait_campaign("Succeeded")
    assert campaign["status"]["best"] == {
        "score": 0.62,
        "run": "demo-r001",
        "model": "/checkpoints/demo-r001",
    }
    assert condition(campaign, "TargetReached")["status"] == "True"
    eventually(lambda: _job(cluster, namespace, "demo-agent") is None, "the agent Job to go")
    reasons = events_for(cluster.api, namespace, "demo-r001")
    assert {"AwaitingApproval", "ApprovedByUser", "JobCreated", "JobSucceeded"} <= set(reasons)
    table = cluster.kubectl("get", "-n", namespace, "ptc,trun").stdout
    assert "Succeeded" in table and "demo-r001" in table


@pytest.mark.parametrize(
    ("mode", "hours", "phase", "reason"),
    [
        ("Auto", 1, "Running", "ApprovedByPolicy"),
        ("Policy", 0.5, "Running", "ApprovedByPolicy"),
        ("Policy", 2, "AwaitingApproval", "AwaitingUser"),
    ],
    ids=["auto", "policy-within-limit", "policy-over-limit-waits"],
)
def test_auto_and_policy_modes(cluster, namespace, operator, mode, hours, phase, reason):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"approvals.mode": mode, "approvals.policy": {"maxGpuHoursPerRun": 1}})
    admin.wait_campaign("Running")
    agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
    agent.create_run("demo-r001", resources={"hours": hours})
    run = admin.wait_run("demo-r001", phase)
    assert condition(run, "Approved")["reason"] == reason


def test_rejection_reaches_the_run_with_its_reason(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"approvals.mode": "Manual"})
    admin.wait_campaign("Running")
    admin.create_run("demo-r001")
    admin.wait_run("demo-r001", "AwaitingApproval")
    cluster.kubectl(
        "annotate", "-n", namespace, "trun/demo-r001", "kintern.dev/reject=too expensive"
    )
    run = admin.wait_run("demo-r001", "Rejected")
    assert condition(run, "Approved")["reason"] == "RejectedByUser"
    assert "too expensive" in run["status"]["message"]
    assert _job(cluster, namespace, "trun-demo-r001") is None


def test_budget_exhaustion_stops_new_runs_and_ends_the_campaign(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    budget = {"budget.gpuHours": 1.5, "budget.maxConcurrentRuns": 1, "budget.maxRuns": 2}
    admin.create_campaign(**budget)
    admin.wait_campaign("Running")
    outcome = Outcome(0, result_message(0.3))
    with FakeTrainer(
        cluster.api, namespace, {"trun-demo-r001": outcome, "trun-demo-r002": outcome}
    ):
        admin.create_run("demo-r001", resources={"hours": 1})
        admin.wait_run("demo-r001", "Succeeded")
        # r001 took seconds, so 1 GPU-hour still fits once; a 2-hour run cannot fit at all.
        admin.create_run("demo-r003", resources={"hours": 2})
        rejected = admin.wait_run("demo-r003", "Rejected")
        assert condition(rejected, "Approved")["reason"] == "BudgetExceeded"
        assert "over by" in rejected["status"]["message"]
        admin.create_run("demo-r002", resources={"hours": 1})
        assert admin.wait_run("demo-r002", "Succeeded", "Failed")["status"]["phase"] == "Succeeded"
    # The second finished run spends the budget's maxRuns: the campaign ends, with its best.
    campaign = admin.wait_campaign("Succeeded", "Failed")
    assert campaign["status"]["phase"] == "Succeeded"
    assert condition(campaign, "Complete")["reason"] == "MaxRunsReached"
    assert condition(campaign, "BudgetExhausted")["status"] == "True"
    assert campaign["status"]["best"]["score"] == pytest.approx(0.3)
    # and refuses what comes after, with no Job.
    admin.create_run("demo-r004", resources={"hours": 1})
    late = admin.wait_run("demo-r004", "Rejected")
    assert condition(late, "Approved")["reason"] == "CampaignNotRunning"
    assert _job(cluster, namespace, "trun-demo-r004") is None


def test_deadline_ends_the_campaign_and_stops_its_jobs(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"budget.deadline": "20s"})
    admin.wait_campaign("Running")
    admin.create_run("demo-r001", resources={"hours": 1})
    admin.wait_run("demo-r001", "Running")
    run = admin.wait_run("demo-r001", "Failed", timeout=60)
    assert run["status"]["failureReason"] == "DeadlineExceeded"
    # No run succeeded before the deadline: the campaign failed, and says why.
    campaign = admin.wait_campaign("Failed", "Succeeded")
    assert campaign["status"]["phase"] == "Failed"
    assert condition(campaign, "Complete")["reason"] == "DeadlinePassed"
    failed = condition(campaign, "Failed")
    assert (failed["status"], failed["reason"]) == ("True", "DeadlinePassed")
    assert "no run succeeded" in failed["message"]
    eventually(lambda: _job(cluster, namespace, "trun-demo-r001") is None, "the Job to go")


def test_suspend_holds_runs_and_resume_launches_them(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign()
    admin.wait_campaign("Running")
    eventually(lambda: _job(cluster, namespace, "demo-agent"), "the agent Job")
    admin.patch_campaign("demo", {"suspend": True})
    admin.wait_campaign("Suspended")
    eventually(lambda: _job(cluster, namespace, "demo-agent").spec.suspend, "agent suspended")
    admin.create_run("demo-r001")
    queued = admin.wait_run("demo-r001", "Queued")
    assert "suspended" in queued["status"]["message"]
    assert _job(cluster, namespace, "trun-demo-r001") is None
    admin.patch_campaign("demo", {"suspend": False})
    admin.wait_run("demo-r001", "Running")
    eventually(lambda: _job(cluster, namespace, "trun-demo-r001"), "the run's Job")
    eventually(lambda: not _job(cluster, namespace, "demo-agent").spec.suspend, "agent resumed")


def test_failed_job_reports_its_reason_and_is_charged(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign(**{"compute.gpusPerRun": 4})
    admin.wait_campaign("Running")
    oom = Outcome(137, "CUDA out of memory. Tried to allocate 2.00 GiB", "OOMKilled", 1.0)
    with FakeTrainer(cluster.api, namespace, {"trun-demo-r001": oom}):
        admin.create_run("demo-r001")
        run = admin.wait_run("demo-r001", "Failed")
    assert run["status"]["failureReason"] == "OOMKilled"
    assert "out of memory" in run["status"]["logTail"]
    assert run["status"]["gpuHours"] > 0
    campaign = admin.campaign()
    assert campaign["status"]["usage"]["gpuHours"] == pytest.approx(
        run["status"]["gpuHours"], abs=1e-3
    )


def _job(cluster, namespace, name):
    try:
        return client.BatchV1Api(cluster.api).read_namespaced_job(name, namespace)
    except client.ApiException as err:
        if err.status == 404:
            return None
        raise


def _scheduled_pod(cluster, namespace, job):
    pods = (
        client.CoreV1Api(cluster.api)
        .list_namespaced_pod(namespace, label_selector=f"batch.kubernetes.io/job-name={job}")
        .items
    )
    return next((p for p in pods if p.spec.node_name), None)


def test_deleting_a_campaign_leaves_nothing_behind(cluster, namespace, operator):
    admin = KinternApi(cluster.api, namespace)
    admin.create_campaign()
    admin.wait_campaign("Running")
    agent = KinternApi(cluster.service_account_client(namespace, agent_identity()), namespace)
    agent.create_run("demo-r001")
    admin.wait_run("demo-r001", "Running")
    run = admin.run("demo-r001")
    assert run["metadata"]["ownerReferences"][0]["kind"] == "PostTrainingCampaign"
    admin.custom.delete_namespaced_custom_object(
        "kintern.dev", "v1alpha1", namespace, "posttrainingcampaigns", "demo"
    )
    core, batch = client.CoreV1Api(cluster.api), client.BatchV1Api(cluster.api)
    rbac = client.RbacAuthorizationV1Api(cluster.api)

    def everything_gone() -> bool:
        runs = admin.custom.list_namespaced_custom_object(
            "kintern.dev", "v1alpha1", namespace, "trainingruns"
        )["items"]
        left = [
            runs,
            batch.list_namespaced_job(namespace).items,
            core.list_namespaced_pod(namespace).items,
            core.list_namespaced_config_map(namespace, label_selector="kintern.dev/campaign").items,
            rbac.list_namespaced_role(namespace).items,
            rbac.list_namespaced_role_binding(namespace).items,
            core.list_namespaced_service_account(
                namespace, label_selector="kintern.dev/campaign"
            ).items,
        ]
        return not any(left)

    eventually(everything_gone, "the campaign's runs, Jobs, pods and agent objects to go", 90)
