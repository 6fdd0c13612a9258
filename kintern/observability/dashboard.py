"""The Kintern Grafana dashboard, built with grafana-foundation-sdk.

`python -m kintern.observability.dashboard [PATH]` (or `make dashboard`) writes it to
`charts/kintern/dashboards/kintern.json`, which the chart ships in a ConfigMap for the
Grafana sidecar; a test fails when the committed file differs from what this builds.
Every query uses the metric names of `kintern_operator.metrics` and nothing else.
"""

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, common, dashboard, prometheus, stat
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models

UID = "kintern-overview"
OUTPUT = Path(__file__).resolve().parents[2] / "charts/kintern/dashboards/kintern.json"
DATASOURCE = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
# Selectors of the dashboard's variables, shared by every per-campaign query.
CAMPAIGN = 'namespace=~"$namespace", campaign=~"$campaign"'
NAMESPACE = 'namespace=~"$namespace"'
# Approvals and Job launches are rare events: their rates are read over an hour.
RARE_WINDOW = "1h"


def _query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).range()


def _timeseries(title: str, description: str, unit: str, width: int = 12) -> ts.Panel:
    legend = (
        common.VizLegendOptions()
        .display_mode(common_models.LegendDisplayMode.TABLE)
        .placement(common_models.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )
    return (
        ts.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(8)
        .legend(legend)
    )


def _stat(title: str, description: str, unit: str = "short", width: int = 6) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(5)
        .color_mode(common_models.BigValueColorMode.BACKGROUND)
    )


def _steps(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps([models.Threshold(value=v, color=c) for v, c in steps])
    )


def _variables() -> list[Builder[models.VariableModel]]:
    source = dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
    namespace = (
        dashboard.QueryVariable("namespace")
        .label("Namespace")
        .datasource(DATASOURCE)
        .query("label_values(kintern_campaigns, namespace)")
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )
    campaign = (
        dashboard.QueryVariable("campaign")
        .label("Campaign")
        .datasource(DATASOURCE)
        .query(f"label_values(kintern_campaign_gpu_hours_budget{{{NAMESPACE}}}, campaign)")
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )
    return [source, namespace, campaign]


def _campaign_panels() -> list[dashboard.Row | ts.Panel | stat.Panel | bargauge.Panel]:
    phases = (
        _stat("Campaigns by phase", "Campaigns in each phase, in the chosen namespaces.", width=8)
        .with_target(_query(f"sum by (phase) (kintern_campaigns{{{NAMESPACE}}})", "{{phase}}"))
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .text_mode(common_models.BigValueTextMode.VALUE_AND_NAME)
        .thresholds(_steps((None, "blue")))
    )
    budget_used = (
        bargauge.Panel()
        .title("GPU budget used")
        .description("Share of each campaign's GPU-hour budget that its runs have used.")
        .datasource(DATASOURCE)
        .span(16)
        .height(5)
        .unit("percentunit")
        .min(0)
        .max(1)
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
        .thresholds(_steps((None, "green"), (0.75, "orange"), (0.9, "red")))
        .with_target(
            _query(
                f"kintern_campaign_gpu_hours_used{{{CAMPAIGN}}}"
                f" / (kintern_campaign_gpu_hours_budget{{{CAMPAIGN}}} > 0)",
                "{{namespace}}/{{campaign}}",
            )
        )
    )
    score = (
        _timeseries(
            "Best score over time",
            "The best score of each campaign's runs so far, and its base model's score.",
            "none",
        )
        .with_target(
            _query(f"kintern_campaign_best_score{{{CAMPAIGN}}}", "{{namespace}}/{{campaign}} best")
        )
        .with_target(
            _query(
                f"kintern_campaign_baseline_score{{{CAMPAIGN}}}",
                "{{namespace}}/{{campaign}} baseline",
                "B",
            )
        )
    )
    gpu_hours = (
        _timeseries(
            "GPU-hours used against budget",
            "GPU-hours used by each campaign's runs (live runs included) and its budget.",
            "h",
        )
        .with_target(
            _query(
                f"kintern_campaign_gpu_hours_used{{{CAMPAIGN}}}", "{{namespace}}/{{campaign}} used"
            )
        )
        .with_target(
            _query(
                f"kintern_campaign_gpu_hours_budget{{{CAMPAIGN}}}",
                "{{namespace}}/{{campaign}} budget",
                "B",
            )
        )
    )
    return [dashboard.Row("Campaigns"), phases, budget_used, score, gpu_hours]


def _run_panels() -> list[dashboard.Row | ts.Panel | stat.Panel]:
    stacked = common.StackingConfig().mode(common_models.StackingMode.NORMAL)
    runs = (
        _timeseries("Runs by phase", "TrainingRuns of the chosen campaigns by phase.", "short")
        .with_target(_query(f"sum by (phase) (kintern_training_runs{{{CAMPAIGN}}})", "{{phase}}"))
        .stacking(stacked)
        .fill_opacity(40)
    )
    pending = (
        _timeseries("Approvals pending", "Runs waiting for a person's approval.", "short")
        .with_target(
            _query(
                f"sum by (namespace, campaign) (kintern_approvals_pending{{{CAMPAIGN}}})",
                "{{namespace}}/{{campaign}}",
            )
        )
        .draw_style(common_models.GraphDrawStyle.BARS)
    )
    wait = _timeseries(
        "Approval wait",
        f"Seconds from a run's creation to its approval, over the last {RARE_WINDOW}.",
        "s",
    )
    for ref, quantile in (("A", "0.5"), ("B", "0.9")):
        wait = wait.with_target(
            _query(
                f"histogram_quantile({quantile}, sum by (le, mode) (rate("
                f"kintern_approval_wait_seconds_bucket{{{NAMESPACE}}}[{RARE_WINDOW}])))",
                f"p{int(float(quantile) * 100)} {{{{mode}}}}",
                ref,
            )
        )
    jobs = _timeseries(
        "Training Jobs created",
        f"Training Jobs the operator created, per namespace, in the last {RARE_WINDOW}.",
        "short",
    ).with_target(
        _query(
            f"sum by (namespace) (increase(kintern_jobs_created_total{{{NAMESPACE}}}"
            f"[{RARE_WINDOW}]))",
            "{{namespace}}",
        )
    )
    return [dashboard.Row("Runs and approvals"), runs, pending, wait, jobs]


def _agent_panels() -> list[dashboard.Row | ts.Panel]:
    iterations = _timeseries(
        "Agent iterations", "Steps each campaign's agent has taken so far.", "short"
    ).with_target(_query(f"kintern_agent_iterations{{{CAMPAIGN}}}", "{{namespace}}/{{campaign}}"))
    tokens = _timeseries(
        "Agent tokens", "Model tokens each campaign's agent has used so far.", "short"
    ).with_target(_query(f"kintern_agent_tokens{{{CAMPAIGN}}}", "{{namespace}}/{{campaign}}"))
    return [dashboard.Row("Agent"), iterations, tokens]


def _operator_panels() -> list[dashboard.Row | ts.Panel]:
    latency = _timeseries(
        "Reconcile latency", "Duration of one campaign reconcile, by quantile.", "s"
    )
    for ref, quantile in (("A", "0.5"), ("B", "0.9"), ("C", "0.99")):
        latency = latency.with_target(
            _query(
                f"histogram_quantile({quantile}, sum by (le) (rate("
                "kintern_reconcile_duration_seconds_bucket[$__rate_interval])))",
                f"p{int(float(quantile) * 100)}",
                ref,
            )
        )
    errors = (
        _timeseries(
            "Reconciles and errors",
            "Reconciles per second, and the ones that raised an error (by kind).",
            "ops",
        )
        .with_target(
            _query(
                "sum(rate(kintern_reconcile_duration_seconds_count[$__rate_interval]))",
                "reconciles",
            )
        )
        .with_target(
            _query(
                "sum by (kind) (rate(kintern_reconcile_errors_total[$__rate_interval]))",
                "errors {{kind}}",
                "B",
            )
        )
    )
    return [dashboard.Row("Operator"), latency, errors]


def build() -> dashboard.Dashboard:
    """The dashboard, panels in rows: campaigns, runs and approvals, agent, operator."""
    board = (
        dashboard.Dashboard("Kintern")
        .uid(UID)
        .description("Post-training campaigns, runs, approvals, budgets and the operator.")
        .tags(["kintern"])
        .time("now-24h", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .variables(_variables())
    )
    groups = (_campaign_panels(), _run_panels(), _agent_panels(), _operator_panels())
    items = [item for group in groups for item in group]
    for panel_id, item in enumerate(items, start=1):
        item.id(panel_id)  # Grafana links, shares and repeats panels by a unique id
        board = board.with_row(item) if isinstance(item, dashboard.Row) else board.with_panel(item)
    return board


def render() -> str:
    """The dashboard as the JSON text that the chart ships."""
    return json.dumps(build().build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else OUTPUT
    path.write_text(render())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
