"""The `custom` recipe: a user's script, run under the same result protocol.

The script runs as `python SCRIPT ARGS...` with these environment variables:
KINTERN_RUN_REQUEST_FILE (the RunRequest as YAML), KINTERN_MODEL (the start model),
KINTERN_CHECKPOINT_DIR (save a trained model here, as a normal HF directory),
KINTERN_OUTPUT_DIR (write prepared data here: .jsonl, .json, .parquet or .csv files, which
the result lists as dataFiles for later runs to train on) and KINTERN_RESULT_FILE
(optionally write JSON {"metrics": {name: number}, "history": [per-step logs]}). Nothing
else of the trainer's environment reaches it but what Python and torch need to run, and
HF_TOKEN only when spec.script.hubToken asks for it (kintern.core.environment). The
trainer then evaluates the checkpoint, if one was saved, so the score is measured the same
way for every recipe. In a cluster the ConfigMap's script.py is mounted at
CONFIGMAP_SCRIPT_PATH.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from kintern.core.environment import script_environment
from kintern_trainer.errors import ScriptError, SpecError
from kintern_trainer.recipes.common import RecipeContext, TrainOutput
from kintern_trainer.sources import LOCAL_FORMATS

CONFIGMAP_SCRIPT_PATH = "/kintern/script/script.py"
RESULT_FILENAME = "script-result.json"
DATA_DIRNAME = "data"
MAX_DATA_FILES = 8  # listed in the result, which must fit a 4 KiB termination message
TAIL_LINES = 40


def script_path(ctx: RecipeContext) -> Path:
    """The script to run: spec.script.inline written out, spec.script.path, else the
    mounted ConfigMap's script."""
    script = ctx.request.spec.script
    if script is None:
        raise SpecError("a custom run needs spec.script (inline, path or configMap)")
    if script.inline is not None:
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
        inline = ctx.output_dir / "script.py"
        inline.write_text(script.inline)
        return inline
    path = Path(script.path or CONFIGMAP_SCRIPT_PATH)
    if not path.is_file():
        raise SpecError(f"custom script {path} does not exist")
    return path


def train(ctx: RecipeContext) -> TrainOutput:
    path = script_path(ctx)
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    request_file = ctx.output_dir / "run-request.yaml"
    request_file.write_text(yaml.safe_dump(ctx.request.to_dict()))
    result_file = ctx.output_dir / RESULT_FILENAME
    data_dir = ctx.output_dir / DATA_DIRNAME
    data_dir.mkdir(parents=True, exist_ok=True)
    script = ctx.request.spec.script
    hub_token = script is not None and script.hub_token
    env = script_environment(os.environ, hub_token) | {
        "KINTERN_RUN_REQUEST_FILE": str(request_file),
        "KINTERN_MODEL": ctx.model_path,
        "KINTERN_CHECKPOINT_DIR": str(ctx.checkpoint_dir),
        "KINTERN_OUTPUT_DIR": str(data_dir),
        "KINTERN_RESULT_FILE": str(result_file),
    }
    args = script.args if script else []
    _run_script([sys.executable, str(path), *args], env)
    metrics, history = _read_result(result_file)
    checkpoint = ctx.checkpoint_dir if (ctx.checkpoint_dir / "config.json").is_file() else None
    return TrainOutput(checkpoint, history, metrics, data_files(data_dir))


def data_files(directory: Path) -> list[str]:
    """The data files a script wrote (those a run can train on), first MAX_DATA_FILES."""
    found = sorted(p for p in directory.rglob("*") if p.suffix in LOCAL_FORMATS and p.is_file())
    return [str(p.resolve()) for p in found[:MAX_DATA_FILES]]


def _run_script(command: list[str], env: dict[str, str]) -> None:
    """Run the script, echoing its output, and fail with the output's tail if it fails.
    (Its time limit is the Job's deadline, or the caller's in local mode.)"""
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        for line in proc.stdout or ():
            sys.stdout.write(line)
            tail.append(line)
        code = proc.wait()
    if code != 0:
        raise ScriptError(f"custom script exited with code {code}; last output:\n{''.join(tail)}")


def _read_result(path: Path) -> tuple[dict[str, float], list[dict[str, float]]]:
    if not path.is_file():
        return {}, []
    try:
        data = json.loads(path.read_text())
        metrics = {str(k): float(v) for k, v in data.get("metrics", {}).items()}
        history = [dict(entry) for entry in data.get("history", [])]
    except (ValueError, TypeError, AttributeError) as exc:
        raise ScriptError(
            f"{path.name} must be JSON {{'metrics': {{name: number}}, 'history': [...]}}: {exc}"
        ) from exc
    return metrics, history
