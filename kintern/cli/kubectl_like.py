"""`kintern approve | reject | status`: the same annotations and status a person reads with
kubectl, for people who prefer a short command."""

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
