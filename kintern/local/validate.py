"""Reads a campaign file and explains what is wrong the way the apiserver does.

The checks are the API models' own (the CRD schema and its CEL rules come from the same
models), and messages name the field path as `kubectl apply` would print it.
"""

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kintern.api.campaign import PostTrainingCampaign


class SpecError(ValueError):
    """A campaign file that cannot run; `problems` holds one line per field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} is invalid:\n{lines}")


def _path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def describe(error: ErrorDetails) -> str:
    path = _path(error["loc"])
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return f"{path}: Required value"
    if kind == "extra_forbidden":
        return f'{path}: unknown field "{path}"'
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{path}: Unsupported value: {json.dumps(value)}: supported values: {expected}"
    if kind == "cross_field":
        # Reported at the rule's fieldPath, as the apiserver does.
        where = path + error.get("ctx", {}).get("field_path", "")
        return f'{where}: Invalid value: "object": {error["msg"]}'
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) else "object"
    return f"{path}: Invalid value: {shown}: {error['msg']}"


def parse_campaign(data: Any, source: str = "campaign") -> PostTrainingCampaign:
    if not isinstance(data, dict):
        raise SpecError(source, ["the file must hold one PostTrainingCampaign object"])
    data = {k: v for k, v in data.items() if k != "status"}
    data.setdefault("metadata", {}).setdefault("name", Path(source).stem or "campaign")
    data["metadata"].setdefault("namespace", "local")
    try:
        return PostTrainingCampaign.model_validate(data)
    except ValidationError as err:
        raise SpecError(source, [describe(e) for e in err.errors()]) from None


def load_campaign(path: Path) -> PostTrainingCampaign:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SpecError(str(path), ["no such file"]) from None
    except yaml.YAMLError as err:
        raise SpecError(str(path), [f"not valid YAML: {err}"]) from None
    return parse_campaign(data, str(path))
