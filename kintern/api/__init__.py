"""The Kintern API (kintern.dev/v1alpha1) as pydantic models: the one source of truth.

The CRDs are rendered from these models, local mode validates files with them, and the
operator, agent and trainer all read and write objects through them.
"""

from kintern.api.campaign import CampaignSpec, CampaignStatus, PostTrainingCampaign
from kintern.api.conditions import Condition, ConditionType, Reason
from kintern.api.result import Diagnosis, Score, TrainingResult
from kintern.api.run import TrainingRun, TrainingRunSpec, TrainingRunStatus

GROUP = "kintern.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

__all__ = [
    "API_VERSION",
    "GROUP",
    "VERSION",
    "CampaignSpec",
    "CampaignStatus",
    "Condition",
    "ConditionType",
    "Diagnosis",
    "PostTrainingCampaign",
    "Reason",
    "Score",
    "TrainingResult",
    "TrainingRun",
    "TrainingRunSpec",
    "TrainingRunStatus",
]
