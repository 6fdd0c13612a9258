"""`kintern run` with no terminal attached (CI, cron, nohup): it never waits forever for a
person, and every one-liner campaign gets its own directory."""

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from kintern.local.store import CampaignStore
from kintern.local.validate import parse_campaign
from tests.support.builders import campaign_dict

ONE_LINER = ("--model", "builtin/sweep", "--base-model", "tiny/base", "--benchmark", "toy")


def _kintern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`kintern` as a script runs it: stdin is not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "kintern", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_without_a_terminal_or_a_policy_it_stops_at_once_and_says_how(tmp_path):
    started = time.monotonic()
    done = _kintern("run", *ONE_LINER, "Raise accuracy on the toy benchmark", cwd=tmp_path)
    took = time.monotonic() - started

    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "no terminal to ask for approvals" in said
    assert "--yes" in said and "approvals.mode Policy" in said
    assert not (tmp_path / ".kintern").exists(), "nothing may start"
    print(f"\nrefused in {took:.1f} s (interpreter start included)")


def test_each_one_liner_gets_its_own_directory(tmp_path):
    goals = ["Raise accuracy on the toy benchmark", "Make the toy model answer better!"]
    for goal in goals:
        done = _kintern("run", *ONE_LINER, "--yes", goal, cwd=tmp_path)
        assert "report:" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    named = _kintern("run", *ONE_LINER, "--yes", "--name", "mine", goals[0], cwd=tmp_path)
    assert "report:" in named.stdout, named.stdout[-2000:] + named.stderr[-2000:]

    directories = sorted(p.name for p in (tmp_path / ".kintern").iterdir())
    assert directories == [
        "make-the-toy-model-answer-better",
        "mine",
        "raise-accuracy-on-the-toy-benchmark",
    ]
    for directory in directories:
        spec = yaml.safe_load((tmp_path / ".kintern" / directory / "campaign.yaml").read_text())
        assert spec["metadata"]["name"] == directory
    goal_of = {
        d: yaml.safe_load((tmp_path / ".kintern" / d / "campaign.yaml").read_text())["spec"]["goal"]
        for d in directories
    }
    assert goal_of["make-the-toy-model-answer-better"] == goals[1]
    assert goal_of["mine"] == goal_of["raise-accuracy-on-the-toy-benchmark"] == goals[0]


def test_a_bad_name_is_refused(tmp_path):
    done = _kintern("run", *ONE_LINER, "--yes", "--name", "../Elsewhere", "goal", cwd=tmp_path)
    assert done.returncode == 2
    assert "not a valid campaign name" in " ".join(done.stdout.split())
    assert not (tmp_path / ".kintern").exists()


SCRIPT = """
- call: create_training_run
  arguments: {recipe: eval, rationale: A large evaluation., hours: 5}
- call: wait_for_runs
- call: finish
  arguments: {summary: The large run was refused; nothing else to try.}
"""


def test_in_policy_mode_what_the_policy_leaves_to_a_person_is_refused_with_why(tmp_path):
    (tmp_path / "script.yaml").write_text(SCRIPT)
    spec = campaign_dict(
        "policy",
        **{
            "agent": {"model": f"scripted/{tmp_path / 'script.yaml'}"},
            "approvals": {"mode": "Policy", "policy": {"maxGpuHoursPerRun": 1}},
        },
    )
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(spec))

    done = _kintern("run", "policy.yaml", cwd=tmp_path)

    assert "report:" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    run = json.loads((tmp_path / ".kintern/policy/runs/policy-r001/run.json").read_text())
    assert run["status"]["phase"] == "Rejected"
    message = run["status"]["message"]
    assert "nobody can approve it here (kintern run has no terminal)" in message
    assert "maxGpuHoursPerRun 1" in message


def test_yes_approves_the_runs_of_a_resumed_campaign_that_started_in_manual_mode(tmp_path):
    (tmp_path / "script.yaml").write_text(SCRIPT)
    spec = campaign_dict(
        "manual",
        **{"agent": {"model": f"scripted/{tmp_path / 'script.yaml'}"}, "approvals.mode": "Manual"},
    )
    (tmp_path / "manual.yaml").write_text(yaml.safe_dump(spec))
    # It started in a terminal, in Manual mode, and was stopped before any run.
    CampaignStore(tmp_path / ".kintern" / "manual").init(parse_campaign(spec, "manual.yaml"))

    done = _kintern("run", "manual.yaml", "--yes", cwd=tmp_path)

    assert "report:" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    run = json.loads((tmp_path / ".kintern/manual/runs/manual-r001/run.json").read_text())
    assert run["metadata"]["annotations"]["kintern.dev/approve"] == "true"
    assert run["status"]["phase"] not in ("AwaitingApproval", "Rejected")
