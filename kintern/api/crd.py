"""Renders the CRDs in `crds/` from the pydantic API models, the single source of truth.

`python -m kintern.api.crd crds/` rewrites them; a test fails when the committed files
drift from the models.
"""

import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from kintern.api.campaign import CampaignSpec, CampaignStatus
from kintern.api.rules import rules_of
from kintern.api.run import TrainingRunSpec, TrainingRunStatus

GROUP = "kintern.dev"
VERSION = "v1alpha1"
_DROP_KEYS = {"title", "additionalProperties"}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline $refs, collapse Optional, and keep only what a structural schema allows."""
    if isinstance(node, list):
        return [_resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _resolve(defs[node["$ref"].split("/")[-1]], defs)
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(options) == 1:
            return _resolve({**options[0], **rest}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS and not (key == "additionalProperties" and isinstance(value, dict)):
            continue
        if key == "default" and value is None:
            continue
        if key in ("properties",):
            out[key] = {name: _resolve(v, defs) for name, v in value.items()}
        # JSON Schema's numeric exclusive bounds become OpenAPI v3's minimum + flag; a node
        # resolved twice (through a $ref) already holds the flag and keeps it as it is.
        elif key == "exclusiveMinimum" and not isinstance(value, bool):
            out["minimum"], out["exclusiveMinimum"] = value, True
        elif key == "exclusiveMaximum" and not isinstance(value, bool):
            out["maximum"], out["exclusiveMaximum"] = value, True
        else:
            out[key] = _resolve(value, defs)
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _attach_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Put each model's cross-field rules on the matching object in the schema."""
    rules = rules_of(model)
    if rules:
        schema["x-kubernetes-validations"] = [r.to_crd() for r in rules]
    for name, field in model.model_fields.items():
        annotation = field.annotation
        sub = schema.get("properties", {}).get(field.alias or name)
        if sub is None:
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _attach_rules(sub, annotation)
        for arg in getattr(annotation, "__args__", ()):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _attach_rules(sub, arg)


def _mark_condition_lists(node: Any) -> None:
    if isinstance(node, dict):
        conditions = node.get("properties", {}).get("conditions")
        if conditions and conditions.get("type") == "array":
            conditions["x-kubernetes-list-type"] = "map"
            conditions["x-kubernetes-list-map-keys"] = ["type"]
        for value in node.values():
            _mark_condition_lists(value)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema: dict[str, Any] = _resolve(
        {k: v for k, v in raw.items() if k != "$defs"}, raw.get("$defs", {})
    )
    _attach_rules(schema, model)
    _mark_condition_lists(schema)
    return schema


def _column(name: str, path: str, type_: str = "string", priority: int = 0) -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "type": type_, "jsonPath": path}
    if priority:
        column["priority"] = priority
    return column


def _crd(
    kind: str,
    plural: str,
    short: str,
    spec: type[BaseModel],
    status: type[BaseModel],
    description: str,
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short],
                "categories": ["kintern"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": description,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string", "description": "apiVersion."},
                                "kind": {"type": "string", "description": "kind."},
                                "metadata": {"type": "object"},
                                "spec": schema_of(spec),
                                "status": schema_of(status),
                            },
                        }
                    },
                }
            ],
        },
    }


def campaign_crd() -> dict[str, Any]:
    return _crd(
        "PostTrainingCampaign",
        "posttrainingcampaigns",
        "ptc",
        CampaignSpec,
        CampaignStatus,
        "A post-training campaign: an agent improves baseModel on a benchmark within a budget.",
        [
            _column("Phase", ".status.phase"),
            _column("Best", ".status.best.score", "number"),
            _column("Baseline", ".status.baseline.score", "number", priority=1),
            _column("GPU-Hours", ".status.usage.gpuHoursSummary"),
            _column("Awaiting", ".status.usage.runs.awaitingApproval", "integer"),
            _column("Runs", ".status.usage.runs.total", "integer", priority=1),
            _column("Message", ".status.message", priority=1),
            _column("Age", ".metadata.creationTimestamp", "date"),
        ],
    )


def run_crd() -> dict[str, Any]:
    return _crd(
        "TrainingRun",
        "trainingruns",
        "trun",
        TrainingRunSpec,
        TrainingRunStatus,
        "One training or evaluation run proposed for a campaign; runs as a Job once approved.",
        [
            _column("Campaign", ".spec.campaign"),
            _column("Recipe", ".spec.recipe"),
            _column("Phase", ".status.phase"),
            _column("Score", ".status.result.score.value", "number"),
            _column("GPU-Hours", ".status.gpuHours", "number"),
            _column("Approved-By", ".status.approvedBy", priority=1),
            _column("Message", ".status.message", priority=1),
            _column("Age", ".metadata.creationTimestamp", "date"),
        ],
    )


def all_crds() -> dict[str, dict[str, Any]]:
    """File name -> CRD manifest."""
    return {
        "kintern.dev_posttrainingcampaigns.yaml": campaign_crd(),
        "kintern.dev_trainingruns.yaml": run_crd(),
    }


class _Dumper(yaml.SafeDumper):
    """Quotes y/Y/n/N, which YAML 1.1 readers (the apiserver, kubectl) take for booleans."""


_Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^[yYnN]$"), list("yYnN"))


POLICIES_FILE = "kintern.dev_admission-policies.yaml"


def render(manifest: dict[str, Any] | list[dict[str, Any]]) -> str:
    header = "# Generated from kintern/api by `make crds`; do not edit by hand.\n"
    docs = manifest if isinstance(manifest, list) else [manifest]
    return header + "---\n".join(
        yaml.dump(d, Dumper=_Dumper, sort_keys=False, width=100) for d in docs
    )


def all_manifests() -> dict[str, dict[str, Any] | list[dict[str, Any]]]:
    """File name -> what `kubectl apply -f crds/` installs: the CRDs and the policies."""
    from kintern.api.admission import all_policies

    return {**all_crds(), POLICIES_FILE: all_policies()}


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, manifest in all_manifests().items():
        path = directory / name
        path.write_text(render(manifest))
        written.append(path)
    return written


if __name__ == "__main__":
    for target in sys.argv[1:] or ["crds"]:
        for path in write_all(Path(target)):
            print(f"wrote {path}")
