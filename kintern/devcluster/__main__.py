"""`python -m kintern.devcluster up|down|env`: the local control plane from a shell.

`up` prints the lines to eval (`export KUBECONFIG=...`) on stdout and progress on
stderr; `make cluster-up` and `make cluster-down` call this.
"""

import time
from pathlib import Path
from typing import Annotated

import typer

from kintern.devcluster import kubectl
from kintern.devcluster.cluster import (
    ClusterConfig,
    RunningCluster,
    down,
    start_component,
    stop_component,
    up,
)

app = typer.Typer(no_args_is_help=True, help="The Kintern local control plane (etcd .. kwok).")

StateDir = Annotated[
    Path,
    typer.Option(
        envvar="KINTERN_CLUSTER_DIR", help="Where the cluster keeps pids, kubeconfigs and logs."
    ),
]
DEFAULT_STATE_DIR = Path(".kintern/cluster")


def _env_lines(cluster: RunningCluster) -> list[str]:
    return [f"export KUBECONFIG={cluster.kubeconfig.resolve()}", kubectl.path_export()]


@app.command("up")
def up_command(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    gpu_nodes: Annotated[int, typer.Option(help="Fake H100 nodes (8 GPUs each).")] = 4,
    cpu_nodes: Annotated[int, typer.Option(help="Fake CPU-only nodes.")] = 2,
) -> None:
    """Start the control plane and the fake nodes; print the environment to use it."""
    cluster = up(ClusterConfig(state_dir.resolve(), gpu_nodes=gpu_nodes, cpu_nodes=cpu_nodes))
    typer.echo("\n".join(_env_lines(cluster)))


@app.command("down")
def down_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Stop exactly the processes `up` started from this state directory."""
    stopped = down(state_dir.resolve())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no cluster was running")


@app.command("restart")
def restart_command(
    component: Annotated[str, typer.Argument(help="e.g. kube-apiserver, kwok, etcd.")],
    state_dir: StateDir = DEFAULT_STATE_DIR,
    down_seconds: Annotated[float, typer.Option(help="How long it stays stopped.")] = 0.0,
) -> None:
    """Stop one component, wait, and start it again (faults for the operator to survive)."""
    stop_component(state_dir.resolve(), component)
    time.sleep(down_seconds)
    record = start_component(state_dir.resolve(), component)
    typer.echo(f"{component} restarted (pid {record.pid})")


@app.command("env")
def env_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Print the `export` lines for the running cluster (eval "$(... env)")."""
    cluster = RunningCluster.load(state_dir.resolve())
    if cluster is None or not all(p.alive() for p in cluster.processes):
        typer.echo(f"no running cluster in {state_dir} (start one with `up`)", err=True)
        raise typer.Exit(1)
    typer.echo("\n".join(_env_lines(cluster)))


if __name__ == "__main__":
    app(prog_name="python -m kintern.devcluster")
