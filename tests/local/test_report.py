"""The end-of-campaign report names the model the best run started from (the agent's
summary in it is checked end to end by the quickstart test)."""

from pathlib import Path

from kintern.api.campaign import ScoreRef
from kintern.api.result import Score, TrainingResult
from kintern.api.run import TrainingRunSpec, TrainingRunStatus
from kintern.local.report import write_report
from kintern.local.store import CampaignStore
from tests.support.builders import campaign


def _finished(store: CampaignStore, name: str, spec: TrainingRunSpec, score: float) -> None:
    store.create_run(name, spec)
    result = TrainingResult(
        status="succeeded",
        score=Score(value=score, ci_low=score - 0.05, ci_high=score + 0.05, n=200),
        checkpoint=f"/checkpoints/{name}",
    )
    store.write_run_status(name, TrainingRunStatus(phase="Succeeded", result=result))


def _store(tmp_path: Path, best_spec: dict) -> CampaignStore:
    store = CampaignStore(tmp_path / "demo")
    store.init(campaign("demo", baseModel="Qwen/Qwen3-1.7B-Base"))
    base = {"campaign": "demo", "recipe": "sft", "datasets": [{"name": "train.jsonl"}]}
    _finished(store, "demo-r001", TrainingRunSpec.model_validate({**base, **best_spec}), 0.4)
    status = store.campaign().status
    status.phase, status.best = "Succeeded", ScoreRef(score=0.4, run="demo-r001")
    store.write_status(status)
    return store


def test_the_lineage_names_the_base_model_the_best_run_started_from(tmp_path):
    report = write_report(_store(tmp_path, {})).read_text()
    assert "started from the base model `Qwen/Qwen3-1.7B-Base`" in report

    other = write_report(_store(tmp_path / "b", {"model": "org/other"})).read_text()
    assert "started from `org/other`" in other
