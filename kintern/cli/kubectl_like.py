"""`kintern approve | reject | status | report`: the same annotations and status a person
reads with kubectl, for people who prefer a short command, and the campaign's report."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kintern.core.approvals import APPROVE_ANNOTATION, REJECT_ANNOTATION

GROUP, VERSION = "kintern.dev", "v1alpha1"
Namespace = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Namespace (default: the context's).")
]


def _client(namespace: str | None) -> tuple[Any, str]:
    from kubernetes import client, config

    config.load_config()
    if namespace is None:
        try:
            _, context = config.list_kube_config_contexts()
            namespace = context["context"].get("namespace", "default")
        except config.ConfigException:
            namespace = "default"
    return client.CustomObjectsApi(), namespace or "default"


def _annotate(run: str, namespace: str | None, annotations: dict[str, str | None]) -> None:
    from kubernetes.client.exceptions import ApiException

    api, ns = _client(namespace)
    body = {"metadata": {"annotations": annotations}}
    try:
        api.patch_namespaced_custom_object(GROUP, VERSION, ns, "trainingruns", run, body)
    except ApiException as err:
        typer.echo(f"error: trainingrun {ns}/{run}: {err.reason}", err=True)
        raise typer.Exit(1) from err


def approve(
    run: Annotated[str, typer.Argument(help="TrainingRun name.")], namespace: Namespace = None
) -> None:
    """Approve a run (writes kintern.dev/approve=true)."""
    _annotate(run, namespace, {APPROVE_ANNOTATION: "true"})
    typer.echo(f"trainingrun/{run} approved")


def reject(
    run: Annotated[str, typer.Argument(help="TrainingRun name.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why; shown to the agent.")],
    namespace: Namespace = None,
) -> None:
    """Reject a run (writes kintern.dev/reject=REASON)."""
    _annotate(run, namespace, {REJECT_ANNOTATION: reason})
    typer.echo(f"trainingrun/{run} rejected")


def status(
    campaign: Annotated[str, typer.Argument(help="PostTrainingCampaign name.")],
    namespace: Namespace = None,
) -> None:
    """Show a campaign and its runs."""
    from kubernetes.client.exceptions import ApiException

    api, ns = _client(namespace)
    try:
        body = api.get_namespaced_custom_object(
            GROUP, VERSION, ns, "posttrainingcampaigns", campaign
        )
    except ApiException as err:
        typer.echo(f"error: posttrainingcampaign {ns}/{campaign}: {err.reason}", err=True)
        raise typer.Exit(1) from err
    runs = api.list_namespaced_custom_object(
        GROUP, VERSION, ns, "trainingruns", label_selector=f"kintern.dev/campaign={campaign}"
    )["items"]
    console = Console()
    st = body.get("status") or {}
    console.print(f"[bold]{campaign}[/bold]  {st.get('phase', 'Pending')}  {st.get('message', '')}")
    table = Table("RUN", "RECIPE", "PHASE", "SCORE", "GPU-HOURS", "MESSAGE")
    for run in runs:
        rs = run.get("status") or {}
        score = ((rs.get("result") or {}).get("score") or {}).get("value")
        table.add_row(
            run["metadata"]["name"],
            run["spec"]["recipe"],
            rs.get("phase", "Pending"),
            "" if score is None else f"{score:.4f}",
            f"{rs.get('gpuHours', 0):.2f}",
            rs.get("message", ""),
        )
    console.print(table)


def _read(api: Any, ns: str, plural: str, name: str) -> dict[str, Any]:
    from kubernetes.client.exceptions import ApiException

    try:
        return dict(api.get_namespaced_custom_object(GROUP, VERSION, ns, plural, name))
    except ApiException as err:
        typer.echo(f"error: {plural} {ns}/{name}: {err.reason}", err=True)
        raise typer.Exit(1) from err


def report(
    campaign: Annotated[str, typer.Argument(help="PostTrainingCampaign name.")],
    namespace: Namespace = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Directory for report.md and report.png."),
    ] = None,
) -> None:
    """Write the campaign's report (baseline, best, every run with its interval, lineage,
    decontamination, cost) and its plot, as local mode does, from the cluster's objects."""
    from kintern.api.campaign import PostTrainingCampaign
    from kintern.api.run import TrainingRun
    from kintern.local.report import render_report

    api, ns = _client(namespace)
    body = _read(api, ns, "posttrainingcampaigns", campaign)
    items = api.list_namespaced_custom_object(
        GROUP, VERSION, ns, "trainingruns", label_selector=f"kintern.dev/campaign={campaign}"
    )["items"]
    runs = sorted(
        (TrainingRun.model_validate(item) for item in items),
        key=lambda r: r.metadata.get("creationTimestamp", ""),
    )
    out = output or Path(f"{campaign}-report")
    path = render_report(
        PostTrainingCampaign.model_validate(body),
        runs,
        out,
        lambda run: (
            f"`kubectl get trun/{run} -n {ns} -o yaml` (spec) and its Job's KINTERN_RUN_REQUEST"
        ),
    )
    typer.echo(f"report: {path}  plot: {path.with_suffix('.png')}")
