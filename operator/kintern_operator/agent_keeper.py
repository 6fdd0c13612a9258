"""A campaign's agent on the cluster: its ServiceAccount, Role, RoleBinding and state
ConfigMap checked, its Job created, suspended, resumed or stopped as the plan says, and
a refusal recorded on the campaign instead of failing every reconcile."""

import threading
import time
from typing import Any

from kubernetes.client.exceptions import ApiException

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.conditions import Condition, ConditionType, Reason, find_condition, set_condition
from kintern.core.campaigns import CampaignPlan
from kintern_operator import naming
from kintern_operator.builders import agent as agent_builders
from kintern_operator.cache import WatchedObjects
from kintern_operator.cluster_target import api_message
from kintern_operator.kube import Kube
from kintern_operator.observe import agent_state_of
from kintern_operator.settings import OperatorSettings

AGENT_RECHECK_SECONDS = 300.0


class AgentConflict(Exception):
    """An object under one of the agent's names that the operator did not create."""


class AgentKeeper:
    """Keeps each campaign's agent as its plan says; shared by the reconcile workers."""

    def __init__(self, kube: Kube, settings: OperatorSettings) -> None:
        self.kube, self.settings = kube, settings
        self._guard = threading.Lock()
        # When each campaign's agent objects were last created or checked, and for which uid.
        self._checked: dict[tuple[str, str], tuple[str | None, float]] = {}

    def forget(self, namespace: str, name: str) -> None:
        with self._guard:
            self._checked.pop((namespace, name), None)

    def keep(
        self,
        seen: WatchedObjects,
        body: dict[str, Any],
        campaign: PostTrainingCampaign,
        plan: CampaignPlan,
        agent_job: dict[str, Any] | None,
    ) -> None:
        """Bring the agent in line with `plan`; a refusal goes into `plan.status`."""
        try:
            self._ensure(seen, body, campaign, plan, agent_job)
        except AgentConflict as err:
            self._refused(body, campaign, plan, str(err), Reason.AGENT_CONFLICT)
        except ApiException as err:
            if err.status not in (400, 422):
                raise
            # The cluster refuses the agent's Job (a credentialsSecret that is no valid
            # name, say): say so on the campaign instead of failing every reconcile.
            message = f"the cluster refused the agent's Job: {api_message(err)}"
            self._refused(body, campaign, plan, message, Reason.INVALID_SPEC)

    def _ensure(
        self,
        seen: WatchedObjects,
        body: dict[str, Any],
        campaign: PostTrainingCampaign,
        plan: CampaignPlan,
        agent_job: dict[str, Any] | None,
    ) -> None:
        ns = campaign.metadata["namespace"]
        name = naming.agent_job(campaign.metadata["name"])
        if plan.status.phase in ("Succeeded", "Failed"):
            if agent_job is not None and not agent_state_of(agent_job).succeeded:
                self.kube.delete_job(ns, name)
            return
        self._ensure_objects(body)
        if agent_job is None:
            job = agent_builders.build_agent_job(body, campaign, self.settings)
            job["spec"]["suspend"] = not plan.agent_should_run
            if created := self.kube.ensure(job):
                seen.wrote("jobs", (ns, naming.label_value(campaign.metadata["name"])), created)
                self.kube.event(body, "Normal", Reason.AGENT_STARTED, f"agent Job {name} created")
            return
        suspended = bool((agent_job.get("spec") or {}).get("suspend"))
        if suspended == plan.agent_should_run:
            self.kube.set_job_suspended(ns, name, not plan.agent_should_run)

    def _ensure_objects(self, body: dict[str, Any]) -> None:
        """The agent's ServiceAccount, Role, RoleBinding and state ConfigMap: created, or
        found and checked, when the campaign is first seen and again at least every
        AGENT_RECHECK_SECONDS (someone deleted or edited one). In between, a reconcile
        writes nothing here: four creates answered 409 on every event were a third of the
        operator's requests. An object found under one of these names is taken only when
        the campaign owns it and it grants exactly what the operator would: otherwise
        AgentConflict, and nothing of the agent's is created or changed."""
        meta = body["metadata"]
        key = (meta["namespace"], meta["name"])
        with self._guard:
            checked = self._checked.get(key)
        fresh = checked and time.monotonic() - checked[1] < AGENT_RECHECK_SECONDS
        if fresh and checked and checked[0] == meta.get("uid"):
            return
        for desired in agent_builders.build_agent_objects(body):
            if self.kube.ensure(desired):
                continue
            d_meta = desired["metadata"]
            existing = self.kube.read(desired["kind"], d_meta["namespace"], d_meta["name"])
            why = existing and agent_builders.foreign_difference(existing, desired)
            if why:
                raise AgentConflict(
                    f"{desired['kind']} {d_meta['name']} exists but {why}; the agent is not "
                    f"started (delete that {desired['kind']}, or rename the campaign)"
                )
        with self._guard:
            self._checked[key] = (meta.get("uid"), time.monotonic())

    def _refused(
        self,
        body: dict[str, Any],
        campaign: PostTrainingCampaign,
        plan: CampaignPlan,
        message: str,
        reason: Reason,
    ) -> None:
        """Record on the campaign that its agent cannot start, once per distinct reason."""
        refused = Condition(
            type=ConditionType.AGENT_RUNNING,
            status="False",
            reason=reason,
            message=message[:1000],
            observed_generation=body["metadata"].get("generation"),
        )
        before = find_condition(campaign.status.conditions, refused.type)
        set_condition(plan.status.conditions, refused)
        plan.status.message = f"the agent cannot start: {message}"[:1000]
        if before is None or (before.reason, before.message) != (refused.reason, refused.message):
            self.kube.event(body, "Warning", reason, message)
