"""The base class of every API model: camelCase on the wire, unknown fields refused, types
as strict as the CRD schema (no "10" for a number), and a null read as "not set" the way
the apiserver prunes it, so local mode accepts and refuses what the apiserver does."""

import functools
import typing
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
        strict=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_unset(cls, data: Any) -> Any:
        """A null where a field cannot be null means "not set", as the apiserver reads it
        (it prunes such nulls before defaulting): the default applies, or it is missing."""
        if not isinstance(data, dict):
            return data
        required = _not_nullable(cls)
        return {k: v for k, v in data.items() if v is not None or k not in required}

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


@functools.cache
def _not_nullable(model: type[BaseModel]) -> frozenset[str]:
    """The names and wire names of `model`'s fields whose type does not admit None."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is Any or type(None) in typing.get_args(annotation):
            continue
        keys.update({name, field.alias or name})
    return frozenset(keys)
