"""Every Prometheus metric the operator exports, and the helpers that set them.

Names follow Prometheus conventions: a `kintern_` prefix, units in the name, `_total` on
counters. The Grafana dashboard and the alert rules use exactly these.
"""

import contextlib
import threading
from collections import Counter

from prometheus_client import Counter as PromCounter
from prometheus_client import Gauge, Histogram, start_http_server

from kintern.api.campaign import PostTrainingCampaign
from kintern.api.run import TrainingRun

CAMPAIGN_PHASES = ("Pending", "Running", "Suspended", "Succeeded", "Failed")
RUN_PHASES = ("Pending", "AwaitingApproval", "Queued", "Running", "Succeeded", "Failed", "Rejected")

CAMPAIGNS = Gauge("kintern_campaigns", "Campaigns by phase.", ["namespace", "phase"])
RUNS = Gauge("kintern_training_runs", "TrainingRuns by phase.", ["namespace", "campaign", "phase"])
APPROVALS_PENDING = Gauge(
    "kintern_approvals_pending", "Runs awaiting approval.", ["namespace", "campaign"]
)
APPROVAL_WAIT = Histogram(
    "kintern_approval_wait_seconds",
    "Seconds from a run's creation to its approval.",
    ["namespace", "mode"],
    buckets=(1, 5, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400),
)
GPU_HOURS_USED = Gauge(
    "kintern_campaign_gpu_hours_used", "GPU-hours used.", ["namespace", "campaign"]
)
GPU_HOURS_BUDGET = Gauge(
    "kintern_campaign_gpu_hours_budget", "GPU-hour budget.", ["namespace", "campaign"]
)
BEST_SCORE = Gauge("kintern_campaign_best_score", "Best score so far.", ["namespace", "campaign"])
BASELINE_SCORE = Gauge(
    "kintern_campaign_baseline_score", "Score of the base model.", ["namespace", "campaign"]
)
AGENT_ITERATIONS = Gauge(
    "kintern_agent_iterations", "Agent steps so far.", ["namespace", "campaign"]
)
AGENT_TOKENS = Gauge(
    "kintern_agent_tokens", "Agent model tokens so far.", ["namespace", "campaign"]
)
RECONCILE_SECONDS = Histogram(
    "kintern_reconcile_duration_seconds",
    "Duration of one campaign reconcile.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RECONCILE_ERRORS = PromCounter(
    "kintern_reconcile_errors", "Reconciles that raised an error.", ["kind"]
)
JOBS_CREATED = PromCounter("kintern_jobs_created", "Training Jobs created.", ["namespace"])

# Every campaign's phase, for the per-namespace counts. The reconcile workers write it
# from their threads: the lock covers the write, the count and the gauges it sets, so no
# thread iterates the dict while another changes it, nor sets an older count last.
_campaign_phases: dict[tuple[str, str], str] = {}
_phases_guard = threading.Lock()


def serve(port: int) -> None:
    start_http_server(port, addr="0.0.0.0")


def report_campaign(campaign: PostTrainingCampaign, runs: list[TrainingRun]) -> None:
    """Set every per-campaign series from the campaign's fresh status."""
    ns, name = campaign.metadata["namespace"], campaign.metadata["name"]
    status = campaign.status
    with _phases_guard:
        _campaign_phases[(ns, name)] = status.phase
        _count_campaigns(ns)
    by_phase = Counter[str](r.status.phase for r in runs)
    for phase in RUN_PHASES:
        RUNS.labels(ns, name, phase).set(by_phase.get(phase, 0))
    APPROVALS_PENDING.labels(ns, name).set(by_phase.get("AwaitingApproval", 0))
    GPU_HOURS_USED.labels(ns, name).set(status.usage.gpu_hours)
    GPU_HOURS_BUDGET.labels(ns, name).set(campaign.spec.budget.gpu_hours)
    if status.best.score is not None:
        BEST_SCORE.labels(ns, name).set(status.best.score)
    if status.baseline.score is not None:
        BASELINE_SCORE.labels(ns, name).set(status.baseline.score)
    AGENT_ITERATIONS.labels(ns, name).set(status.usage.agent_iterations)
    AGENT_TOKENS.labels(ns, name).set(status.usage.agent_tokens)


def report_approval(namespace: str, mode: str, wait_seconds: float) -> None:
    APPROVAL_WAIT.labels(namespace, mode).observe(wait_seconds)


def report_job_created(namespace: str) -> None:
    JOBS_CREATED.labels(namespace).inc()


def _count_campaigns(namespace: str) -> None:
    """Set the namespace's campaign counts (the caller holds _phases_guard)."""
    for phase in CAMPAIGN_PHASES:
        count = sum(1 for (n, _), p in _campaign_phases.items() if n == namespace and p == phase)
        CAMPAIGNS.labels(namespace, phase).set(count)


def forget_campaign(namespace: str, name: str) -> None:
    with _phases_guard:
        _campaign_phases.pop((namespace, name), None)
        _count_campaigns(namespace)  # else a deleted namespace's last campaign stays counted
    for gauge in (
        APPROVALS_PENDING,
        GPU_HOURS_USED,
        GPU_HOURS_BUDGET,
        BEST_SCORE,
        BASELINE_SCORE,
        AGENT_ITERATIONS,
        AGENT_TOKENS,
    ):
        with contextlib.suppress(KeyError):
            gauge.remove(namespace, name)
    for phase in RUN_PHASES:
        with contextlib.suppress(KeyError):
            RUNS.remove(namespace, name, phase)
