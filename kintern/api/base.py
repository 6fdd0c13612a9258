"""The base class of every API model: camelCase on the wire, unknown fields refused."""

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from kintern.api.rules import rules_of


class ApiModel(BaseModel):
    """A part of the Kintern API. Python names are snake_case, the YAML is camelCase."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_assignment=True,
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> "ApiModel":
        """The same cross-field rules the CRD gives the apiserver as CEL."""
        for rule in rules_of(type(self)):
            if not rule.holds(self):
                raise PydanticCustomError(
                    "cross_field", rule.message, {"field_path": rule.field_path}
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        """The object as it is written to the cluster: camelCase, no unset optionals."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")
