"""`kintern agent`'s entry points: headless and interactive runs, and clean refusals."""

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from kintern.core.campaigns import Snapshot, plan_campaign
from kintern.core.workload import AgentState
from kintern_agent.cli import (
    EXIT_CANNOT_START,
    EXIT_OK,
    EXIT_STOPPED,
    agent_main,
    local_agent,
    run_agent,
)
from tests.agent.helpers import a_campaign
from tests.support.memory_backend import MemoryBackend

SCRIPT = """
- call: get_campaign
- call: create_training_run
  thought: A baseline first.
  arguments: {recipe: eval, rationale: Baseline of the base model., hours: 0.5}
- call: finish
  arguments: {summary: Proposed the baseline.}
"""


def scripted_backend(tmp_path: Path, script: str = SCRIPT, **agent: object) -> MemoryBackend:
    path = tmp_path / "script.yaml"
    path.write_text(script)
    return MemoryBackend(a_campaign(agent={"model": f"scripted/{path}", **agent}))


def test_headless_run_from_a_scripted_campaign(tmp_path, caplog):
    caplog.set_level("INFO")
    backend = scripted_backend(tmp_path)

    code = run_agent(backend, trace_dir=tmp_path / "trace")

    assert code == EXIT_OK
    assert [r.metadata["name"] for r in backend.list_runs()] == ["demo-r001"]
    assert "step 2: create_training_run -> Created run demo-r001" in caplog.text
    assert (tmp_path / "trace" / "trace.jsonl").exists()


def test_interactive_run_shows_each_step(tmp_path, capsys):
    code = run_agent(scripted_backend(tmp_path), trace_dir=tmp_path / "trace", interactive=True)

    shown = capsys.readouterr().out
    assert code == EXIT_OK
    assert "step 2" in shown and "A baseline first." in shown and "create_training_run" in shown
    assert "agent finished after 3 iterations" in shown


def test_an_early_stop_exits_non_zero(tmp_path):
    looping = "- call: list_runs\n" * 12
    assert run_agent(scripted_backend(tmp_path, looping), trace_dir=tmp_path) == EXIT_STOPPED


def test_it_refuses_to_start_without_a_campaign_or_a_model(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KINTERN_CAMPAIGN", raising=False)
    assert agent_main() == EXIT_CANNOT_START
    assert "no campaign" in capsys.readouterr().err

    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert agent_main(campaign="demo") == EXIT_CANNOT_START
    assert "pass --kubeconfig" in capsys.readouterr().err

    backend = MemoryBackend(a_campaign(agent={"model": "gemini/pro"}))
    assert run_agent(backend, trace_dir=tmp_path) == EXIT_CANNOT_START
    assert "unknown model 'gemini/pro'" in capsys.readouterr().err


def test_a_local_model_without_torch_ends_the_campaign_saying_what_to_do(
    tmp_path, monkeypatch, capsys
):
    for package in ("torch", "transformers"):  # as in the agent image: neither is installed
        monkeypatch.setitem(sys.modules, package, None)
    backend = MemoryBackend(a_campaign(agent={"model": "local/Qwen/Qwen3-8B"}))

    assert run_agent(backend, trace_dir=tmp_path) == EXIT_CANNOT_START

    said = " ".join(capsys.readouterr().err.split())
    assert "agent.model 'local/Qwen/Qwen3-8B' runs the model inside the agent" in said
    assert "needs torch and transformers" in said and "agent.endpoint" in said
    campaign = backend.campaign()
    assert campaign.status.agent_done
    plan = plan_campaign(
        Snapshot(campaign, [], {}, AgentState(exists=True, failed=True), datetime.now(UTC))
    )
    assert plan.status.phase == "Failed" and not plan.agent_should_run
    assert "needs torch and transformers" in plan.status.message


def test_local_mode_runs_the_agent_as_thread_work_that_stops_on_request(tmp_path):
    backend = scripted_backend(tmp_path)
    stop = threading.Event()
    assert local_agent(backend, stop, trace_dir=tmp_path)() == "Proposed the baseline."

    stop.set()
    (tmp_path / "again").mkdir()
    again = scripted_backend(tmp_path / "again")
    assert local_agent(again, stop, trace_dir=tmp_path)() == "stopped on request"
    assert again.list_runs() == []
