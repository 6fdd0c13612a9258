"""`kintern run` after a kill stops only the trainer its pid file proves: never its own
process group (an empty pid file), never a process that got the pid since (an older
boot, a file from an older version), and the recorded trainer itself for sure. And the
trainer it starts inherits no secrets but the Hub token."""

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintern.core.environment import trainer_environment
from kintern.local.executor import LocalExecutor, TrainerRecord
from kintern.local.store import CampaignStore

RUN = "demo-r001"


def _executor(root: Path) -> LocalExecutor:
    return LocalExecutor(CampaignStore(root), gpus=[])


def _pid_file(root: Path) -> Path:
    path = CampaignStore(root).run_dir(RUN) / "pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own group that is not a trainer of this campaign: `cat`, which
    exits 0 when its input closes (and -9 if it was killed)."""
    proc = subprocess.Popen(
        ["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True
    )
    yield proc
    proc.kill()
    proc.wait()


def _exit_code_when_asked(proc: subprocess.Popen[bytes]) -> int:
    assert proc.stdin is not None
    proc.stdin.close()
    return proc.wait(timeout=10)


def test_an_empty_pid_file_does_not_kill_the_callers_own_group(tmp_path: Path) -> None:
    _pid_file(tmp_path).write_text("")
    # In a child with its own session: pid 0 would mean the caller's own process group.
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from kintern.local.executor import LocalExecutor
        from kintern.local.store import CampaignStore
        LocalExecutor(CampaignStore(Path({str(tmp_path)!r})), gpus=[]).kill_stale([{RUN!r}])
        print("survived")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, start_new_session=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "survived"
    assert not _pid_file(tmp_path).exists()


def test_a_bare_pid_from_an_older_file_is_not_killed(tmp_path: Path, bystander) -> None:
    _pid_file(tmp_path).write_text(str(bystander.pid))
    _executor(tmp_path).kill_stale([RUN])
    assert not _pid_file(tmp_path).exists()
    assert _exit_code_when_asked(bystander) == 0


def test_a_pid_now_held_by_another_process_is_not_killed(tmp_path: Path, bystander) -> None:
    recorded = TrainerRecord.of(bystander.pid, ["python", "-m", "kintern", "train"])
    assert recorded.start_ticks is not None
    earlier = TrainerRecord(bystander.pid, recorded.start_ticks - 1000, recorded.cmdline)
    _pid_file(tmp_path).write_text(earlier.dump())
    _executor(tmp_path).kill_stale([RUN])
    assert _exit_code_when_asked(bystander) == 0


def test_the_recorded_trainer_is_killed(tmp_path: Path) -> None:
    command = ["sleep", "300"]
    trainer = subprocess.Popen(command, start_new_session=True)
    try:
        _pid_file(tmp_path).write_text(TrainerRecord.of(trainer.pid, command).dump())
        _executor(tmp_path).kill_stale([RUN])
        assert trainer.wait(timeout=10) == -9
    finally:
        trainer.kill()
        trainer.wait()


def test_a_local_trainer_inherits_no_secrets_but_the_hub_token() -> None:
    environ = {
        "PATH": "/usr/bin",
        "HF_HOME": "/data/hf",
        "HF_TOKEN": "hf_x",
        "ANTHROPIC_API_KEY": "sk-ant-x",
        "AWS_SECRET_ACCESS_KEY": "y",
    }
    assert trainer_environment(environ) == {
        "PATH": "/usr/bin",
        "HF_HOME": "/data/hf",
        "HF_TOKEN": "hf_x",
    }
