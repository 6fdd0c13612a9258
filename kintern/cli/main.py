"""Entry point of the `kintern` command: one sub-command per component, imported lazily.

Heavy packages (torch, kopf, smolagents) load only when their sub-command runs, so
`kintern --help` is fast and the operator image does not need the trainer's packages.
"""

from pathlib import Path
from typing import Annotated

import typer

from kintern.cli import kubectl_like, local_commands

app = typer.Typer(
    no_args_is_help=True,
    help="Kintern: autonomous LLM post-training on Kubernetes, under your budgets and approvals.",
    pretty_exceptions_show_locals=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    from kintern import __version__

    typer.echo(__version__)


@app.command()
def train(
    request: Annotated[
        Path | None,
        typer.Option(
            help="RunRequest YAML; default: the KINTERN_RUN_REQUEST environment variable."
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(min=1, help="Worker processes, one per GPU; more than 1 launches them."),
    ] = 1,
) -> None:
    """Run one TrainingRun (the trainer's entry point inside a Job)."""
    from kintern_trainer.cli import train_main

    raise typer.Exit(train_main(request, processes))


@app.command()
def operator(
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Watch only these namespaces (default: all)."),
    ] = None,
    liveness_port: Annotated[int, typer.Option(help="Port of /healthz.")] = 8081,
    plain_logs: Annotated[bool, typer.Option(help="Plain text logs instead of JSON.")] = False,
) -> None:
    """Run the operator (leader election, metrics on KINTERN_METRICS_PORT, liveness)."""
    from kintern_operator.main import run_operator
    from kintern_operator.settings import OperatorSettings

    raise typer.Exit(
        run_operator(namespace or [], OperatorSettings(), liveness_port, not plain_logs)
    )


@app.command()
def agent(
    campaign: Annotated[
        str | None, typer.Option(help="Campaign (default: $KINTERN_CAMPAIGN).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Default: $KINTERN_NAMESPACE.")
    ] = None,
    kubeconfig: Annotated[Path | None, typer.Option(help="Outside the pod: a kubeconfig.")] = None,
    trace_dir: Annotated[Path | None, typer.Option(help="Where the step trace goes.")] = None,
) -> None:
    """Run a campaign's agent: headless in its pod, step by step in a terminal."""
    from kintern_agent.cli import agent_main

    raise typer.Exit(agent_main(campaign, namespace, kubeconfig, trace_dir))


kubectl_like.add_commands(app)
app.command()(local_commands.run)
app.command()(local_commands.quickstart)
app.command()(local_commands.dashboard)
