"""Entry point of the `kintern` command."""

import typer

app = typer.Typer(no_args_is_help=True, help="Autonomous LLM post-training on Kubernetes.")


@app.command()
def version() -> None:
    """Print the version."""
    from kintern import __version__

    typer.echo(__version__)
