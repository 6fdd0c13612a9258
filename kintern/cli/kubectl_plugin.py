"""`kubectl kintern approve | reject | status`: the kubectl plugin.

The package installs this app as the executable `kubectl-kintern` ([project.scripts]);
kubectl runs any `kubectl-<name>` on the PATH as `kubectl <name>`, passing the rest of the
command line, so `kubectl kintern approve RUN -n NS` works like `kintern approve RUN -n NS`.
"""

import typer

from kintern.cli import kubectl_like

app = typer.Typer(
    name="kubectl kintern",
    no_args_is_help=True,
    help="Approve, reject and inspect Kintern's TrainingRuns and campaigns from kubectl.",
    pretty_exceptions_show_locals=False,
)
kubectl_like.add_commands(app)
