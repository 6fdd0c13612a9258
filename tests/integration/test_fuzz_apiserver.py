"""Generated bad campaigns and runs thrown at the real apiserver while an operator runs.

Every refusal names the field, and the API models (local mode's validation, the agent's
and the operator's) refuse exactly the same manifests: the CRD schema and the models
agree. Whatever the apiserver accepts, the operator takes in: each campaign gets a phase,
each run a phase (with a message when refused), and the operator neither exits nor fails
a handler. Examples are derandomized (the same 50 each time) so CI is repeatable;
tests/unit/test_fuzz_validation.py explores more widely without a cluster.
"""

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from kubernetes import client
from pydantic import ValidationError

from kintern.api.run import TrainingRun
from kintern.local.validate import SpecError, describe, parse_campaign
from tests.support.fuzz import FIELD_IN_MESSAGE, campaign_manifests, run_manifests
from tests.support.kintern_api import KinternApi, condition, events_for
from tests.support.operator import OperatorProcess
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster
GROUP, VERSION = "kintern.dev", "v1alpha1"
ON_THE_APISERVER = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What the operator logs when a kopf handler or a queued reconcile raises.
FAILED = ("failed with an exception", "reconcile of campaign")


class Thrower:
    """Creates manifests as the admin would with kubectl (strict field validation)."""

    def __init__(self, api: client.ApiClient, namespace: str, plural: str) -> None:
        self.custom, self.namespace, self.plural = client.CustomObjectsApi(api), namespace, plural
        self.names = (f"fuzz-{i:03d}" for i in itertools.count())
        self.accepted: list[str] = []

    def throw(self, doc: dict[str, Any]) -> str | None:
        """The apiserver's refusal message, or None when it accepted the manifest."""
        doc["metadata"]["name"] = next(self.names)
        try:
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, self.namespace, self.plural, doc, field_validation="Strict"
            )
        except client.ApiException as refused:
            assert refused.status in (400, 422), refused.body
            return str(json.loads(refused.body)["message"])
        self.accepted.append(doc["metadata"]["name"])
        return None

    def phase(self, name: str) -> str | None:
        body = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, self.plural, name
        )
        return (body.get("status") or {}).get("phase")


def test_generated_campaigns(cluster, namespace, tmp_path):
    thrower = Thrower(cluster.api, namespace, "posttrainingcampaigns")
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:

        @ON_THE_APISERVER
        @given(campaign_manifests())
        def throw(doc: dict[str, Any]) -> None:
            refused = thrower.throw(doc)
            locally = _local_problems(doc)
            if refused is None:
                assert not locally, f"the apiserver accepted what local mode refuses: {locally}"
                return
            assert FIELD_IN_MESSAGE.search(refused), refused
            assert locally, f"local mode accepts what the apiserver refuses: {refused}"

        throw()
        assert thrower.accepted, "no generated campaign was valid: the strategy is off"
        for name in thrower.accepted:
            eventually(lambda n=name: thrower.phase(n), f"campaign {name} to get a phase")
        _assert_unhurt(operator)


def test_generated_runs(cluster, namespace, tmp_path):
    admin = KinternApi(cluster.api, namespace)
    thrower = Thrower(cluster.api, namespace, "trainingruns")
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:
        admin.create_campaign("fuzz", **{"budget.maxConcurrentRuns": 2, "budget.maxRuns": 100})
        admin.wait_campaign("Running", name="fuzz")

        @ON_THE_APISERVER
        @given(run_manifests(campaign="fuzz"))
        def throw(doc: dict[str, Any]) -> None:
            refused = thrower.throw(doc)
            locally = _model_problems(doc)
            if refused is None:
                assert not locally, f"the apiserver accepted what the models refuse: {locally}"
                return
            assert FIELD_IN_MESSAGE.search(refused), refused
            assert locally, f"the models accept what the apiserver refuses: {refused}"

        throw()
        assert thrower.accepted, "no generated run was valid: the strategy is off"
        for name in thrower.accepted:
            eventually(lambda n=name: thrower.phase(n), f"run {name} to get a phase")
        for name in thrower.accepted:
            status = admin.run(name)["status"]
            if status["phase"] in ("Rejected", "Failed"):
                assert status["message"], status
        _assert_unhurt(operator)


def _local_problems(doc: dict[str, Any]) -> list[str]:
    try:
        parse_campaign(json.loads(json.dumps(doc)), "campaign.yaml")
    except SpecError as refused:
        return refused.problems
    return []


def _model_problems(doc: dict[str, Any]) -> list[str]:
    body = {**json.loads(json.dumps(doc)), "metadata": {"name": "r", "namespace": "ns"}}
    try:
        TrainingRun.model_validate(body)
    except ValidationError as refused:
        return [describe(e) for e in refused.errors()]
    return []


def _assert_unhurt(operator: OperatorProcess) -> None:
    assert operator.popen is not None and operator.popen.poll() is None, operator.logs()
    log = operator.log_path.read_text(errors="replace")
    failures = [line for line in log.splitlines() if any(f in line for f in FAILED)]
    assert not failures, "\n".join(failures[:5])


def test_a_campaign_whose_agent_job_the_cluster_refuses_says_why(cluster, namespace, tmp_path):
    """Found by fuzzing: a credentialsSecret that is no valid Secret name passes the schema,
    but the cluster refuses the agent's Job. The campaign says so (once), and fixing the
    spec starts the agent."""
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:
        admin.create_campaign(**{"agent.credentialsSecret": "Bad Name!"})

        def refused() -> dict[str, Any] | None:
            c = condition(admin.campaign(), "AgentRunning")
            return c if c and c["reason"] == "InvalidSpec" else None

        said = eventually(refused, "the campaign to say its agent was refused")
        assert "secretRef.name" in said["message"] and '"Bad Name!"' in said["message"]
        assert admin.campaign()["status"]["message"].startswith("the agent cannot start")
        admin.patch_campaign("demo", {"agent": {"credentialsSecret": "llm-credentials"}})
        batch = client.BatchV1Api(cluster.api)
        eventually(lambda: batch.list_namespaced_job(namespace).items, "the agent's Job")
        _assert_unhurt(operator)
    assert events_for(cluster.api, namespace, "demo").count("InvalidSpec") == 1


def test_a_run_labelled_for_a_missing_campaign_is_marked_an_orphan(cluster, namespace, tmp_path):
    """Labelled runs are adopted by their campaign's reconcile; with no campaign to do it,
    the run still says why nothing happens."""
    admin = KinternApi(cluster.api, namespace)
    with OperatorProcess(cluster.kubeconfig, namespace, tmp_path) as operator:
        admin.create_campaign()  # "demo" exists; "ghost" does not
        admin.wait_campaign("Running")
        body = {
            "apiVersion": "kintern.dev/v1alpha1",
            "kind": "TrainingRun",
            "metadata": {"name": "lost", "labels": {"kintern.dev/campaign": "ghost"}},
            "spec": {"campaign": "ghost", "recipe": "eval"},
        }
        admin.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "trainingruns", body
        )
        run = admin.wait_run("lost", "Pending")
        _assert_unhurt(operator)
    assert condition(run, "Approved")["reason"] == "CampaignNotFound"
    assert "'ghost' does not exist" in run["status"]["message"]
