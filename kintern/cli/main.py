"""Entry point of the `kintern` command: one sub-command per component, imported lazily.

Heavy packages (torch, kopf, smolagents) load only when their sub-command runs, so
`kintern --help` is fast and the operator image does not need the trainer's packages.
"""

from pathlib import Path
from typing import Annotated

import typer

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
) -> None:
    """Run one TrainingRun (the trainer's entry point inside a Job)."""
    from kintern_trainer.cli import train_main

    raise typer.Exit(train_main(request))
