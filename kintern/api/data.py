"""Training data references, shared by campaigns (what may be used) and runs (what is)."""

from pydantic import Field

from kintern.api.base import ApiModel


class DatasetRef(ApiModel):
    """One training data source; several make a weighted mixture."""

    name: str = Field(
        min_length=1, description="name: a Hugging Face data set id, or a .jsonl/.parquet path."
    )
    config: str | None = Field(default=None, description="config: the data set configuration.")
    split: str = Field(default="train", description="split: the split to read.")
    weight: float = Field(default=1.0, gt=0, description="weight: share in the mixture.")
    limit: int | None = Field(default=None, ge=1, description="limit: use at most N rows.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="columns: maps the trainer's column names to this data set's, e.g. "
        "{prompt: question, completion: answer}.",
    )
