"""`python -m kintern` is the `kintern` command."""

from kintern.cli.main import app

app()
