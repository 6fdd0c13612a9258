"""`python -m kintern.devcluster up|down|env`: the local control plane from a shell.

`up` prints the lines to eval (`export KUBECONFIG=...`) on stdout and progress on
stderr; `make cluster-up` and `make cluster-down` call this.
"""

import time
from pathlib import Path
from typing import Annotated

import typer

from kintern.devcluster import containerd_images, kubectl, kueue, realnode
from kintern.devcluster.cluster import (
    ClusterConfig,
    RunningCluster,
    down,
    start_component,
    stop_component,
    up,
)
from kintern.devcluster.realnode_config import RealNodeError
from kintern.images import cpu_images

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
    cpu_nodes: Annotated[
        int | None, typer.Option(help="Fake CPU-only nodes [default: 2, or 0 with a real node].")
    ] = None,
    real_node: Annotated[
        bool,
        typer.Option(
            "--real-node",
            help="Add one real kubelet node (containerd, CNI bridge) that runs pods for real; "
            "needs root. CPU work lands there; the fake H100 pool keeps the GPU work.",
        ),
    ] = False,
    image: Annotated[
        list[str] | None,
        typer.Option(help="Docker image to load into the real node [default: make images-cpu's]."),
    ] = None,
    with_kueue: Annotated[
        bool,
        typer.Option(
            "--kueue",
            help="Add Kueue's controller manager and webhooks (batch/v1 Jobs that name a "
            "queue wait for quota); build it first with `hack/build-controlplane.sh kueue`.",
        ),
    ] = False,
) -> None:
    """Start the control plane and the fake nodes; print the environment to use it."""
    cfg = ClusterConfig(
        state_dir.resolve(),
        gpu_nodes=gpu_nodes,
        cpu_nodes=cpu_nodes if cpu_nodes is not None else (0 if real_node else 2),
        real_node=real_node,
        real_node_images=tuple(image if image is not None else cpu_images()),
        kueue=with_kueue,
    )
    try:
        cluster = up(cfg)
    except (RealNodeError, kueue.KueueError) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    typer.echo("\n".join(_env_lines(cluster)))


@app.command("load-images")
def load_images_command(
    images: Annotated[list[str], typer.Argument(help="Docker images, e.g. after make images.")],
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Import Docker images into the running real node (only those that changed)."""
    cluster = RunningCluster.load(state_dir.resolve())
    if cluster is None or not realnode.was_started(cluster.layout):
        hint = "start one with `up --real-node`"
        typer.echo(f"no real node runs from {state_dir} ({hint})", err=True)
        raise typer.Exit(1)
    loaded = containerd_images.load_images(realnode.node_paths(cluster.layout), images)
    typer.echo(f"loaded: {', '.join(loaded)}" if loaded else "all images were up to date")


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
