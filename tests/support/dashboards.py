"""The queries of the generated Grafana dashboard and of the chart's alerts, as the tests
evaluate them: Grafana's variables replaced, `label_values()` split into its parts, and
the series names the operator exports, read from its metrics module.
"""

import re
from dataclasses import dataclass
from typing import Any

from prometheus_client.metrics import MetricWrapperBase

from kintern_operator import metrics

# kintern_ names wherever they are; Prometheus' own series where a selector follows them.
METRIC_NAME = re.compile(r"\bkintern_[a-z0-9_]+\b|\bup(?=\{)")
LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")
# Series every Prometheus has about its targets; the alerts may use them too.
PROMETHEUS_SERIES = frozenset({"up"})
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


@dataclass(frozen=True)
class PanelQuery:
    panel: str
    ref: str
    expr: str


@dataclass(frozen=True)
class VariableQuery:
    variable: str
    selector: str
    label: str


def panel_queries(board: dict[str, Any]) -> list[PanelQuery]:
    """Every target's expression, panel by panel (rows included)."""
    found = []
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                found.append(PanelQuery(inner["title"], target["refId"], target["expr"]))
    return found


def variable_queries(board: dict[str, Any]) -> list[VariableQuery]:
    """The `label_values(selector, label)` query variables."""
    found = []
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = LABEL_VALUES.match(variable["query"])
        if match is None:
            raise AssertionError(f"variable {variable['name']}: not label_values(): {variable}")
        found.append(VariableQuery(variable["name"], match["selector"], match["label"]))
    return found


def to_promql(expr: str, rate_interval: str) -> str:
    """`expr` with the dashboard's variables set to 'all' and $__rate_interval given."""
    plain = expr.replace("$__rate_interval", rate_interval)
    plain = plain.replace("$namespace", ".*").replace("$campaign", ".*")
    if "$" in plain:
        raise AssertionError(f"a variable the tests do not know is left in {plain!r}")
    return plain


def operator_series() -> set[str]:
    """The names of the series the operator exports (histogram and counter suffixes too)."""
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                names.update(family.name + s for s in _SUFFIXES[family.type])
    return names


def series_used(expr: str) -> set[str]:
    return set(METRIC_NAME.findall(expr))
