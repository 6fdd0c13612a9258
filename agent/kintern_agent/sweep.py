"""`builtin/sweep`: a planner that needs no LLM, like a hyperparameter-tuning controller.

It evaluates the base model, runs SFT with sound defaults, searches learning rate, then
epochs, then the data mix (each round starting from the best so far, and a branch that
loses is not pursued further), and ends with a final evaluation of the best checkpoint.
It keeps no memory of its own: every decision is derived from the runs that exist, and
run names are deterministic, so a restarted planner continues where it stopped and never
creates a run twice. When the campaign ends under it (target, budget, deadline), it
stops and reports why as its summary.
"""

import logging
import threading
from dataclasses import dataclass, field

from kintern.api.data import DatasetRef
from kintern.api.run import (
    TERMINAL_RUN_PHASES,
    Hyperparameters,
    RunResources,
    TrainingRun,
    TrainingRunSpec,
)
from kintern.core.backend import BackendError, CampaignBackend
from kintern.core.campaigns import stopped_by_end

log = logging.getLogger(__name__)


@dataclass
class SweepSettings:
    poll_seconds: float = 1.0


class CampaignEnded(Exception):
    """The campaign ended while the sweep planned; the message says why, for its summary."""


@dataclass
class Candidate:
    """One SFT configuration the sweep may try."""

    key: str
    learning_rate: float
    epochs: float = 1.0
    datasets: list[DatasetRef] = field(default_factory=list)


class SweepPlanner:
    def __init__(
        self,
        backend: CampaignBackend,
        stop: threading.Event | None = None,
        settings: SweepSettings | None = None,
    ) -> None:
        self.backend = backend
        self.stop = stop or threading.Event()
        self.settings = settings or SweepSettings()
        campaign = backend.campaign()
        self.name = campaign.metadata["name"]
        self.spec = campaign.spec
        self.iterations = 0

    # --- run bookkeeping ----------------------------------------------------------------

    def _hours(self) -> float:
        """Each run's share of the budget: what is left for the runs still to come."""
        budget = self.spec.budget
        gpus = max(1, self.spec.compute.gpus_per_run)
        share = budget.gpu_hours / max(1, min(budget.max_runs, 8)) / gpus
        limit = self.spec.approvals.policy.max_gpu_hours_per_run / gpus
        if self.spec.approvals.mode == "Policy":
            share = min(share, limit)
        return round(max(0.01, min(1.0, share)), 4)

    def _ended(self) -> str | None:
        """Why the campaign has ended, as the sweep's summary; None while it runs."""
        stopped = stopped_by_end(self.backend.campaign().status)
        return f"builtin/sweep {stopped}" if stopped else None

    def _check_ended(self) -> None:
        ended = self._ended()
        if ended is not None:
            raise CampaignEnded(ended)

    def _submit(self, suffix: str, spec: TrainingRunSpec) -> TrainingRun:
        self._check_ended()
        self.iterations += 1
        self.backend.report_progress(self.iterations, 0, 0.0)
        return self.backend.create_run(f"{self.name}-{suffix}", spec)

    def _wait(self, names: list[str]) -> list[TrainingRun]:
        while True:
            runs = [self.backend.get_run(n) for n in names]
            if all(r.status.phase in TERMINAL_RUN_PHASES for r in runs):
                return runs
            self._check_ended()
            if self.stop.wait(self.settings.poll_seconds):
                raise InterruptedError("the planner was stopped")

    def _concurrently(self, batch: list[tuple[str, TrainingRunSpec]]) -> list[TrainingRun]:
        names = [self._submit(suffix, spec).metadata["name"] for suffix, spec in batch]
        return self._wait(names)

    def _sft(self, c: Candidate) -> TrainingRunSpec:
        return TrainingRunSpec(
            campaign=self.name,
            recipe="sft",
            rationale=f"sweep {c.key}: learning rate {c.learning_rate:g}, {c.epochs:g} epochs",
            datasets=c.datasets,
            hyperparameters=Hyperparameters(
                learning_rate=c.learning_rate,
                epochs=c.epochs,
                batch_size=self.spec.agent.sweep.batch_size,
            ),
            resources=RunResources(hours=self._hours()),
        )

    # --- the plan -----------------------------------------------------------------------

    def run(self) -> str:
        """Plan until done; returns the summary it reports."""
        if not self.spec.datasets:
            summary = "builtin/sweep needs training data: list it in spec.datasets"
            self.backend.report_progress(self.iterations, 0, 0.0, summary, done=True)
            return summary
        try:
            summary = self._plan()
        except CampaignEnded as end:
            summary = str(end)
        except InterruptedError:
            ended = self._ended()
            if ended is None:
                return "stopped"  # asked to stop while the campaign goes on: resumable
            summary = ended
        self.backend.report_progress(self.iterations, 0, 0.0, summary, done=True)
        return summary

    def _plan(self) -> str:
        eval_spec = TrainingRunSpec(
            campaign=self.name,
            recipe="eval",
            rationale="baseline: the base model before any training",
            resources=RunResources(hours=self._hours()),
        )
        baseline = self._concurrently([("baseline", eval_spec)])[0]
        scored: dict[str, tuple[Candidate, TrainingRun]] = {}
        best = self._round_learning_rate(scored)
        if best is not None:
            best = self._round_epochs(best, scored)
            best = self._round_mix(best, scored)
        if best is None:
            return "no SFT run succeeded; see the runs' diagnoses"
        final = self._final_eval(scored[best.key][1])
        return _summary(baseline, scored[best.key], final)

    def _score(self, run: TrainingRun) -> float | None:
        result = run.status.result
        if run.status.phase != "Succeeded" or not result or not result.score:
            return None
        value = result.score.value
        return value if self.spec.objective.direction == "maximize" else -value

    def _better(self, a: TrainingRun, b: TrainingRun | None) -> bool:
        sa, sb = self._score(a), (self._score(b) if b else None)
        return sa is not None and (sb is None or sa > sb)

    def _try(
        self, candidates: list[Candidate], scored: dict[str, tuple[Candidate, TrainingRun]]
    ) -> None:
        limit = self.spec.budget.max_concurrent_runs
        for i in range(0, len(candidates), limit):
            chunk = candidates[i : i + limit]
            runs = self._concurrently([(c.key, self._sft(c)) for c in chunk])
            for c, run in zip(chunk, runs, strict=True):
                scored[c.key] = (c, run)

    def _best(self, scored: dict[str, tuple[Candidate, TrainingRun]]) -> Candidate | None:
        best: tuple[Candidate, TrainingRun] | None = None
        for c, run in scored.values():
            if self._better(run, best[1] if best else None):
                best = (c, run)
        return best[0] if best else None

    def _runs_left(self) -> int:
        return self.spec.budget.max_runs - len(self.backend.list_runs()) - 1  # keep one: final

    def _round_learning_rate(
        self, scored: dict[str, tuple[Candidate, TrainingRun]]
    ) -> Candidate | None:
        space = self.spec.agent.sweep
        candidates = [
            Candidate(f"lr{i + 1}", lr, space.epochs[0], list(self.spec.datasets))
            for i, lr in enumerate(space.learning_rates)
        ]
        self._try(candidates[: max(1, self._runs_left())], scored)
        return self._best(scored)

    def _contenders(self, scored: dict[str, tuple[Candidate, TrainingRun]]) -> list[Candidate]:
        """The best candidate and every one statistically tied with it (its 95% interval
        reaches the best score): only these branches are worth more epochs."""
        best = self._best(scored)
        if best is None:
            return []
        best_score = self._score(scored[best.key][1])
        tied = []
        for c, run in scored.values():
            score = run.status.result.score if run.status.result else None
            if self._score(run) is None or score is None:
                continue
            reach = score.ci_high if self.spec.objective.direction == "maximize" else -score.ci_low
            if c is best or reach >= (best_score or 0):
                tied.append(c)
        return sorted(tied, key=lambda c: self._score(scored[c.key][1]) or 0, reverse=True)

    def _round_epochs(
        self, best: Candidate, scored: dict[str, tuple[Candidate, TrainingRun]]
    ) -> Candidate:
        for start in self._contenders(scored):
            parent = start
            for epochs in self.spec.agent.sweep.epochs[1:]:
                if self._runs_left() < 1 or self.stop.is_set():
                    return self._best(scored) or best
                c = Candidate(
                    f"{start.key}-ep{epochs:g}", start.learning_rate, epochs, start.datasets
                )
                self._try([c], scored)
                if not self._better(scored[c.key][1], scored[parent.key][1]):
                    break  # more epochs stopped helping this branch: prune it
                parent = c
        return self._best(scored) or best

    def _round_mix(
        self, best: Candidate, scored: dict[str, tuple[Candidate, TrainingRun]]
    ) -> Candidate:
        if len(self.spec.datasets) < 2:
            return best
        for i, only in enumerate(self.spec.datasets):
            if self._runs_left() < 1:
                break
            mix = [
                d.model_copy(update={"weight": 3.0 if d is only else 1.0})
                for d in self.spec.datasets
            ]
            self._try([Candidate(f"mix{i + 1}", best.learning_rate, best.epochs, mix)], scored)
        return self._best(scored) or best

    def _final_eval(self, best_run: TrainingRun) -> TrainingRun | None:
        spec = TrainingRunSpec(
            campaign=self.name,
            recipe="eval",
            model=f"run:{best_run.metadata['name']}",
            rationale=f"final evaluation of the best checkpoint ({best_run.metadata['name']})",
            resources=RunResources(hours=self._hours()),
        )
        try:
            return self._concurrently([("final", spec)])[0]
        except BackendError as err:
            log.warning("final evaluation not possible: %s", err)
            return None


def _value(run: TrainingRun | None) -> str:
    result = run.status.result if run else None
    return f"{result.score.value:.4f}" if result and result.score else "n/a"


def _summary(
    baseline: TrainingRun, best: tuple[Candidate, TrainingRun], final: TrainingRun | None
) -> str:
    c, run = best
    return (
        f"baseline {_value(baseline)}; best {run.metadata['name']} at {_value(run)} "
        f"(learning rate {c.learning_rate:g}, {c.epochs:g} epochs); "
        f"final evaluation {_value(final)}"
    )
