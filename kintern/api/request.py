"""The trainer's input: a TrainingRun resolved against its campaign, ready to execute.

The operator renders it into the Job (as YAML in the KINTERN_RUN_REQUEST environment
variable) and local mode writes it to a file; `kintern train` reads either.
"""

from pydantic import Field

from kintern.api.base import ApiModel
from kintern.api.campaign import EvalSpec
from kintern.api.result import DEFAULT_TERMINATION_PATH
from kintern.api.run import TrainingRunSpec


class RunRequest(ApiModel):
    """Everything a trainer needs, with no Kubernetes in it."""

    run_name: str = Field(description="runName: the TrainingRun's name (Trackio run name).")
    campaign: str = Field(description="campaign: the campaign's name.")
    base_model: str = Field(description="baseModel: the model to start from, resolved.")
    benchmark: str = Field(description="benchmark: built-in suite name or inline suite name.")
    eval: EvalSpec | None = Field(default=None, description="eval: the resolved inline suite.")
    spec: TrainingRunSpec = Field(description="spec: the TrainingRun's spec.")
    output_dir: str = Field(description="outputDir: where checkpoints and the full record go.")
    result_path: str = Field(
        default=DEFAULT_TERMINATION_PATH, description="resultPath: where the small result goes."
    )
    trackio_project: str | None = Field(default=None, description="trackioProject.")
    trackio_space: str | None = Field(default=None, description="trackioSpace.")
    hub_repo: str | None = Field(default=None, description="hubRepo: push target, if allowed.")
    device: str = Field(default="auto", description="device: auto, cuda or cpu.")
