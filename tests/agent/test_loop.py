"""The real loop, driven by a scripted model, through the situations a campaign meets."""

import itertools

from kintern.api.result import Diagnosis
from kintern_agent.agent import FINISHED, ITERATION_LIMIT, MODEL_ERROR, REPETITION
from kintern_agent.messages import Message
from kintern_agent.providers.base import ModelError
from kintern_agent.providers.scripted import call, last_result, say
from tests.agent.helpers import a_campaign, make_agent, tool_texts
from tests.support.memory_backend import awaiting_approval, rejected, succeeded

SCIQ = {"name": "allenai/sciq", "columns": {"prompt": "question", "completion": "correct_answer"}}


def test_research_then_proposals_to_a_finish(tmp_path, web):
    script = [
        call("get_campaign"),
        call("search_papers", query="GPQA science fine-tuning"),
        call("inspect_dataset", dataset="allenai/sciq"),
        call(
            "create_training_run", recipe="eval", rationale="Baseline of the base model.", hours=0.5
        ),
        call(
            "create_training_run",
            recipe="sft",
            rationale="A small SFT on SciQ before any sweep.",
            datasets=[SCIQ],
            hyperparameters={"learningRate": 1e-5, "maxSteps": 200},
        ),
        call("wait_for_runs"),
        call("get_run", name="demo-r002"),
        call("finish", summary="SFT on SciQ took accuracy from 0.26 to 0.31 (demo-r002)."),
    ]
    outcomes = [succeeded(0.26, after_reads=2), succeeded(0.31, after_reads=2)]
    agent, model, backend = make_agent(tmp_path, script, web=web, outcomes=outcomes)

    outcome = agent.run()

    assert outcome.status == FINISHED
    assert outcome.summary.startswith("SFT on SciQ")
    assert [r.metadata["name"] for r in backend.list_runs()] == ["demo-r001", "demo-r002"]
    sft = backend.get_run("demo-r002").spec
    assert sft.datasets[0].columns == {"prompt": "question", "completion": "correct_answer"}
    assert sft.hyperparameters.max_steps == 200
    seen = model.calls[-1]
    assert "DeepSeekMath" in tool_texts(seen, "search_papers")[0]
    assert "- correct_answer: string" in tool_texts(seen, "inspect_dataset")[0]
    assert "Created run demo-r002 (sft)" in tool_texts(seen, "create_training_run")[1]
    assert "accuracy 0.3100" in tool_texts(seen, "get_run")[0]
    last = backend.progress[-1]
    assert (last.iterations, last.done) == (8, True)
    assert backend.campaign().status.agent_summary == outcome.summary
    trace = (tmp_path / "trace" / "trace.md").read_text()
    assert "## Step 8" in trace and "**create_training_run**" in trace


def test_a_rejection_reaches_the_model_which_adapts(tmp_path, web):
    def smaller_run(messages: list[Message]):
        report = last_result(messages)
        assert "Rejected" in report and "too expensive" in report
        return call(
            "create_training_run",
            recipe="sft",
            rationale="Smaller, as asked.",
            datasets=[SCIQ],
            hours=2,
        )

    script = [
        call("create_training_run", recipe="sft", rationale="Big run.", datasets=[SCIQ], hours=8),
        call("wait_for_runs"),
        smaller_run,
        call("finish", summary="Ran the smaller run the approver asked for."),
    ]
    outcomes = [rejected("too expensive: at most 2 GPU-hours per run")]
    agent, model, backend = make_agent(tmp_path, script, web=web, outcomes=outcomes)

    assert agent.run().status == FINISHED

    first, second = backend.list_runs()
    assert first.status.phase == "Rejected"
    assert second.spec.resources.hours == 2
    report = tool_texts(model.calls[-1], "wait_for_runs")[0]
    assert "RejectedByUser" in report


def test_a_reward_collapse_diagnosis_leads_to_a_different_run(tmp_path, web):
    collapse = Diagnosis(
        kind="reward_collapse",
        evidence="reward_std 0.00 from step 120; frac_reward_zero_std 0.98",
        advice="start GRPO from an SFT checkpoint or raise numGenerations",
    )

    def react(messages: list[Message]):
        if "reward_collapse" in last_result(messages):
            return call(
                "create_training_run",
                recipe="sft",
                rationale="GRPO collapsed: SFT first.",
                datasets=[SCIQ],
            )
        return call("finish", summary="no collapse seen")

    script = [
        call("create_training_run", recipe="grpo", rationale="GRPO on SciQ.", datasets=[SCIQ]),
        call("wait_for_runs"),
        call("get_run", name="demo-r001"),
        react,
        call("finish", summary="GRPO collapsed; SFT proposed instead."),
    ]
    outcomes = [succeeded(0.14, diagnosis=collapse, after_reads=2)]
    agent, model, backend = make_agent(tmp_path, script, web=web, outcomes=outcomes)

    assert agent.run().status == FINISHED

    report = tool_texts(model.calls[3], "get_run")[0]
    assert "diagnosis: reward_collapse; evidence: reward_std 0.00" in report
    assert "advice: start GRPO from an SFT checkpoint" in report
    assert [r.spec.recipe for r in backend.list_runs()] == ["grpo", "sft"]


def test_the_iteration_limit_ends_the_agent_cleanly(tmp_path, web):
    campaign = a_campaign(agent={"model": "scripted/none.yaml", "maxIterations": 5})
    queries = (call("search_papers", query=f"topic {i}") for i in itertools.count())
    agent, model, backend = make_agent(tmp_path, queries, web=web, campaign=campaign)

    outcome = agent.run()

    assert outcome.status == ITERATION_LIMIT and outcome.ok
    assert outcome.iterations == 5 and len(model.calls) == 5
    assert backend.progress[-1].done
    assert "iteration limit (5)" in backend.campaign().status.agent_summary


def test_the_repetition_guard_warns_then_stops(tmp_path, web):
    script = itertools.chain(
        [call("create_training_run", recipe="eval", rationale="Baseline.")],
        itertools.repeat(call("get_run", name="demo-r001")),
    )
    agent, model, backend = make_agent(tmp_path, script, web=web, outcomes=[awaiting_approval()])

    outcome = agent.run()

    assert outcome.status == REPETITION and not outcome.ok
    assert outcome.iterations == 1 + 3 * 3
    warnings = [m.text for m in model.calls[-1] if m.role == "user" and "Repetition" in m.text]
    assert len(warnings) == 2
    assert "(warning 1 of 3): you called get_run(name='demo-r001') 3 times" in warnings[0]
    assert "get_run(name='demo-r001')" in outcome.summary
    assert backend.progress[-1].done


def test_two_answers_without_a_tool_call_end_the_agent(tmp_path, web):
    script = [say("Let me think about the data."), say("Done: the baseline is the best.")]
    agent, model, _ = make_agent(tmp_path, script, web=web)

    outcome = agent.run()

    assert (outcome.status, outcome.summary) == (FINISHED, "Done: the baseline is the best.")
    assert "without calling a tool" in model.calls[1][-1].text


def test_unknown_tools_and_bad_arguments_come_back_as_errors(tmp_path, web):
    script = [
        call("fly_to_the_moon"),
        call("get_run"),
        call("get_run", name="demo-r999"),
        call("create_training_run", recipe="sft", rationale="no data"),
        call(
            "create_training_run",
            recipe="sft",
            rationale="bad lr",
            datasets=[SCIQ],
            hyperparameters={"learningRate": 5},
        ),
        call("finish", summary="done"),
    ]
    agent, model, backend = make_agent(tmp_path, script, web=web)

    assert agent.run().status == FINISHED

    errors = [m.text for m in model.calls[-1] if m.role == "tool"]
    assert errors[0].startswith("Error: there is no tool 'fly_to_the_moon'")
    assert "Argument name is required" in errors[1]
    assert "cannot read run demo-r999" in errors[2]
    assert "a training run needs at least one entry in spec.datasets" in errors[3]
    assert "hyperparameters.learningRate: Input should be less than or equal to 1" in errors[4]
    assert backend.list_runs() == []


def test_a_model_failure_stops_without_finishing_so_a_restart_resumes(tmp_path, web):
    def provider_down(messages: list[Message]):
        raise ModelError("Anthropic answered HTTP 529: overloaded", transient=True)

    script = [call("get_campaign"), provider_down]
    agent, _, backend = make_agent(tmp_path, script, web=web)

    outcome = agent.run()

    assert outcome.status == MODEL_ERROR and "529" in outcome.summary
    assert backend.state is not None and '"done": false' in backend.state
    assert not backend.progress[-1].done
