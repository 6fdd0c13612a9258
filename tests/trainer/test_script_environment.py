"""A custom script sees a scrubbed environment: the result protocol's variables and what
Python and torch need, never the trainer's other secrets, and HF_TOKEN only when the run's
spec.script.hubToken asks for it. The script here is real: it dumps what it was given."""

import json
from pathlib import Path

import pytest

from tests.trainer.builders import RequestBuilder, run_train

DUMP_SCRIPT = """
import json, os, sys
with open(sys.argv[1], "w") as f:
    json.dump(dict(os.environ), f)
"""

SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-not-for-scripts-0123456789",
    "AWS_SECRET_ACCESS_KEY": "aws-not-for-scripts",
    "GITHUB_TOKEN": "ghp_notforscripts0123456789abcdef",
    "DATABASE_PASSWORD": "hunter2",
    "HTTPS_PROXY": "http://user:pass@proxy.internal:3128",
}
HUB_TOKEN = "hf_notforscriptsunlessasked0123456789"


def _script_env(builder: RequestBuilder, tmp_path: Path, **script: object) -> dict[str, str]:
    dump = tmp_path / "env.json"
    builder.recipe("custom").spec(script={"inline": DUMP_SCRIPT, "args": [str(dump)], **script})
    code, result = run_train(builder)
    assert code == 0, result.error
    return json.loads(dump.read_text())


@pytest.fixture
def trainer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trainer's environment in a pod: the campaign's Hub token, and secrets and
    settings that are not the script's business."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    monkeypatch.setenv("SOME_SETTING", "the trainer's own")
    monkeypatch.setenv("NCCL_DEBUG", "WARN")


@pytest.mark.usefixtures("trainer_environment")
def test_a_custom_script_gets_no_secret_unless_its_spec_asks(
    tmp_path: Path, request_builder: RequestBuilder
) -> None:
    env = _script_env(request_builder, tmp_path)

    assert "HF_TOKEN" not in env
    assert env["HF_HUB_DISABLE_IMPLICIT_TOKEN"] == "1"
    assert not SECRETS.keys() & env.keys()
    assert "SOME_SETTING" not in env and "KINTERN_RUN_REQUEST" not in env
    assert not any(value in text for value in SECRETS.values() for text in env.values())
    # What the result protocol and the libraries need is there.
    for name in ("KINTERN_RUN_REQUEST_FILE", "KINTERN_RESULT_FILE", "KINTERN_MODEL", "PATH"):
        assert env[name], name
    assert env["HF_HUB_OFFLINE"] == "1" and env["NCCL_DEBUG"] == "WARN"


@pytest.mark.usefixtures("trainer_environment")
def test_a_custom_script_whose_spec_asks_gets_the_hub_token_and_still_no_other_secret(
    tmp_path: Path, request_builder: RequestBuilder
) -> None:
    env = _script_env(request_builder, tmp_path, hubToken=True)

    assert env["HF_TOKEN"] == HUB_TOKEN
    assert "HF_HUB_DISABLE_IMPLICIT_TOKEN" not in env
    assert not SECRETS.keys() & env.keys()
