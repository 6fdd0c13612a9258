"""Tool: propose a data-preparation script, run as a `custom` TrainingRun."""

from typing import Any

from kintern_agent.tools.base import KinternTool, ToolError
from kintern_agent.tools.context import CampaignContext
from kintern_agent.tools.create_training_run import DATASET_ITEM
from kintern_agent.tools.submit import build_spec, submit

MAX_SCRIPT_CHARS = 64_000


class ProposeDataPrep(KinternTool):
    name = "propose_data_prep"
    description = (
        "Propose a Python data-preparation script (filter, reformat, mix or synthesise data) "
        "that runs as a custom run. It reads the given data sets (their list is in the YAML "
        "file named by the KINTERN_RUN_REQUEST_FILE environment variable, under "
        "spec.datasets) and writes its output as .jsonl, .json, .parquet or .csv files into "
        "the directory named by KINTERN_OUTPUT_DIR. When it succeeds, get_run lists those "
        "files as data files: a later run trains on one with datasets=[{name: PATH}]. On a "
        "cluster the files outlive the run only when the campaign has "
        "compute.checkpointVolumeClaim. Custom code needs the campaign's allowCustomCode "
        "policy and a person's approval."
    )
    inputs = {
        "script": {
            "type": "string",
            "description": "The Python script (at most 64,000 characters).",
        },
        "rationale": {"type": "string", "description": "What it does and why, for the approver."},
        "datasets": {
            "type": "array",
            "items": DATASET_ITEM,
            "description": "The data sets the script reads.",
        },
        "args": {
            "type": "array",
            "items": {"type": "string"},
            "nullable": True,
            "description": "Command-line arguments for the script.",
        },
        "hours": {
            "type": "number",
            "nullable": True,
            "description": "Wall-time limit in hours (default 1).",
        },
        "gpus": {
            "type": "integer",
            "nullable": True,
            "description": "GPUs (default 0: data preparation rarely needs one).",
        },
    }

    def __init__(self, ctx: CampaignContext):
        super().__init__()
        self.ctx = ctx

    def forward(
        self,
        script: str,
        rationale: str,
        datasets: list[Any],
        args: list[str] | None = None,
        hours: float | None = None,
        gpus: int | None = None,
    ) -> str:
        if len(script) > MAX_SCRIPT_CHARS:
            raise ToolError(f"the script has {len(script)} characters; at most {MAX_SCRIPT_CHARS}")
        resources: dict[str, Any] = {"gpus": 0 if gpus is None else gpus}
        if hours is not None:
            resources["hours"] = hours
        body = {
            "campaign": self.ctx.runs.campaign,
            "recipe": "custom",
            "rationale": rationale,
            "datasets": datasets,
            "resources": resources,
            # The script travels inline with the run: no ConfigMap, no extra rights.
            "script": {"inline": script, "args": args or []},
        }
        return submit(self.ctx, build_spec(body))
