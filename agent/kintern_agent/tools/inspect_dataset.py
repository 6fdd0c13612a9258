"""Tool: inspect a Hub data set: configs and splits with row counts, schema, sample rows."""

import json
from typing import Any

from kintern_agent.tools.base import KinternTool, ToolError, cut
from kintern_agent.tools.context import ResearchContext

CELL_CHARS = 400
MAX_ROWS = 5


class InspectDataset(KinternTool):
    name = "inspect_dataset"
    description = (
        "Inspect a Hugging Face data set before training on it: its configs and splits with "
        "row counts, the column schema, and a few sample rows (long cells are cut). Use it "
        "to map columns for a run and to check the data is not the evaluation set."
    )
    inputs = {
        "dataset": {"type": "string", "description": "The data set id, e.g. openai/gsm8k."},
        "config": {
            "type": "string",
            "description": "Config name (default: the first).",
            "nullable": True,
        },
        "split": {
            "type": "string",
            "description": "Split (default: train, else the first).",
            "nullable": True,
        },
        "rows": {
            "type": "integer",
            "description": "Sample rows to show (default 3, at most 5).",
            "nullable": True,
        },
    }

    def __init__(self, research: ResearchContext):
        super().__init__()
        self.research = research

    def forward(
        self,
        dataset: str,
        config: str | None = None,
        split: str | None = None,
        rows: int | None = None,
    ) -> str:
        r = self.research
        splits = r.http.get_json(r.datasets_server, "/splits", {"dataset": dataset})
        available = [(s["config"], s["split"]) for s in splits.get("splits", [])]
        if not available:
            raise ToolError(f"the dataset viewer lists no splits for {dataset}")
        config, split = _choose(available, config, split)
        params = {"dataset": dataset, "config": config, "split": split}
        first = r.http.get_json(r.datasets_server, "/first-rows", params)
        counts = self._row_counts(dataset)
        lines = [f"# {dataset}", "## Splits (config/split: rows)"]
        lines += [f"- {c}/{s}: {counts.get((c, s), '?')}" for c, s in available]
        lines += [f"## Schema of {config}/{split}"]
        lines += [f"- {f['name']}: {_type(f['type'])}" for f in first.get("features", [])]
        sample = first.get("rows", [])[: max(1, min(rows or 3, MAX_ROWS))]
        lines += [f"## {len(sample)} sample rows"]
        lines += [json.dumps(_cut_cells(row["row"]), ensure_ascii=False) for row in sample]
        return "\n".join(lines)

    def _row_counts(self, dataset: str) -> dict[tuple[str, str], int]:
        r = self.research
        try:
            size = r.http.get_json(r.datasets_server, "/size", {"dataset": dataset})
        except ToolError:
            return {}
        return {(s["config"], s["split"]): s["num_rows"] for s in size["size"].get("splits", [])}


def _choose(
    available: list[tuple[str, str]], config: str | None, split: str | None
) -> tuple[str, str]:
    configs = list(dict.fromkeys(c for c, _ in available))
    config = config or configs[0]
    if config not in configs:
        raise ToolError(f"config {config!r} does not exist; configs: {', '.join(configs)}")
    splits = [s for c, s in available if c == config]
    split = split or ("train" if "train" in splits else splits[0])
    if split not in splits:
        raise ToolError(f"split {split!r} does not exist in {config}; splits: {', '.join(splits)}")
    return config, split


def _type(feature: Any) -> str:
    """A dataset-viewer feature type, short: string, int64, list[string], {a: string}, ..."""
    if isinstance(feature, list):
        return f"list[{_type(feature[0])}]" if feature else "list"
    if not isinstance(feature, dict):
        return str(feature)
    kind = feature.get("_type")
    if kind == "Value":
        return str(feature.get("dtype", "value"))
    if kind in ("Sequence", "List", "LargeList"):
        return f"list[{_type(feature.get('feature'))}]"
    if kind == "ClassLabel":
        return f"label{feature.get('names', [])}"
    if kind is None:
        return "{" + ", ".join(f"{k}: {_type(v)}" for k, v in feature.items()) + "}"
    return str(kind)


def _cut_cells(value: Any) -> Any:
    if isinstance(value, str):
        return cut(value, CELL_CHARS)
    if isinstance(value, list):
        return [_cut_cells(v) for v in value[:10]]
    if isinstance(value, dict):
        return {k: _cut_cells(v) for k, v in value.items()}
    return value
