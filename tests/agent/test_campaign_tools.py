"""The campaign tools through the loop: data preparation, the campaign's state, logs,
cut outputs, and secrets kept out of the model's context and the trace."""

import dataclasses
from datetime import UTC, datetime

from kintern.api.result import Diagnosis
from kintern_agent.agent import FINISHED
from kintern_agent.providers.scripted import call, last_result
from kintern_agent.tools.get_campaign import describe_campaign
from tests.agent.helpers import a_campaign, make_agent, tool_texts
from tests.support.memory_backend import failed

SCIQ = {"name": "allenai/sciq"}
SCRIPT = "import datasets\nprint('filtering')\n"


def test_a_data_preparation_script_becomes_a_custom_run(tmp_path, web):
    script = [
        call(
            "propose_data_prep",
            script=SCRIPT,
            rationale="Keep only physics questions.",
            datasets=[SCIQ],
            args=["--subject", "physics"],
        ),
        call("finish", summary="proposed"),
    ]
    agent, model, backend = make_agent(tmp_path, script, web=web)

    assert agent.run().status == FINISHED

    (run,) = backend.list_runs()
    assert run.spec.recipe == "custom" and run.spec.resources.gpus == 0
    assert run.spec.script.inline == SCRIPT
    assert run.spec.script.args == ["--subject", "physics"]
    assert (
        "Created run demo-r001 (custom), asking 0 GPU-hours"
        in tool_texts(model.calls[-1], "propose_data_prep")[0]
    )


def test_the_campaign_state_shows_budget_runs_and_time_left():
    campaign = a_campaign(budget={"gpuHours": 10, "maxRuns": 10, "deadline": "12h"})
    campaign.status.start_time = "2026-11-27T08:00:00Z"
    campaign.status.usage.gpu_hours = 2.5
    campaign.status.phase = "Running"
    text = describe_campaign(campaign, datetime(2026, 11, 27, 10, 30, tzinfo=UTC))
    assert "- GPU-hours: 2.50 used of 10.0 (7.50 left)" in text
    assert "- time left: 9h30m" in text
    assert "- objective: maximize accuracy on toy, target 0.9" in text


def test_a_failed_run_shows_its_diagnosis_and_log_tail(tmp_path, web):
    oom = Diagnosis(
        kind="out_of_memory",
        evidence="CUDA out of memory at step 3",
        advice="halve batchSize or turn on gradientCheckpointing",
    )
    logs = "\n".join(f"step {i} loss 2.{i}" for i in range(100)) + "\ntorch.OutOfMemoryError"
    script = [
        call("create_training_run", recipe="sft", rationale="r", datasets=[SCIQ]),
        call("wait_for_runs"),
        call("get_run", name="demo-r001", log_lines=3),
        call("finish", summary="oom"),
    ]
    agent, model, _ = make_agent(
        tmp_path, script, web=web, outcomes=[failed(oom, logs=logs, after_reads=2)]
    )
    agent.run()
    report = tool_texts(model.calls[-1], "get_run")[0]
    assert "- diagnosis: out_of_memory; evidence: CUDA out of memory at step 3" in report
    assert "- advice: halve batchSize" in report
    assert report.endswith("step 98 loss 2.98\nstep 99 loss 2.99\ntorch.OutOfMemoryError")


def test_a_cut_output_can_be_read_in_full(tmp_path, web):
    web.text("/papers/2402.03300.md", "GRPO " * 2000 + "THE END")

    def read_rest(messages):
        name = last_result(messages).split("read_saved_output(name='")[1].split("'")[0]
        return call("read_saved_output", name=name, offset=9000)

    script = [call("read_paper", arxiv_id="2402.03300"), read_rest, call("finish", summary="ok")]
    agent, model, _ = make_agent(tmp_path, script, web=web)
    agent.config = dataclasses.replace(agent.config, max_output_chars=2000)
    agent.run()
    cut, rest = (m.text for m in model.calls[-1] if m.role == "tool")
    assert "[... output cut:" in cut and len(cut) < 2500
    assert "THE END" in rest


def test_secrets_never_reach_the_model_or_the_trace(tmp_path, web):
    token = "hf_" + "S3cr3t" * 5
    web.text(
        "/Qwen/Qwen3-1.7B-Base/raw/main/README.md",
        f"# Card\nTo download, run `huggingface-cli login --token {token}`\n",
    )
    script = [call("model_card", model_id="Qwen/Qwen3-1.7B-Base"), call("finish", summary="ok")]
    agent, model, backend = make_agent(tmp_path, script, web=web, environ={"HF_TOKEN": token})

    agent.run()

    assert web.hits("/api/models/Qwen/Qwen3-1.7B-Base")[0].headers["authorization"].endswith(token)
    card = tool_texts(model.calls[-1], "model_card")[0]
    assert "--token [redacted HF_TOKEN]" in card
    produced = [p.read_text() for p in (tmp_path / "trace").rglob("*") if p.is_file()]
    assert produced and not any(token in text for text in produced)
    assert token not in (backend.state or "")
