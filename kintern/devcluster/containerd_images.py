"""The real node's images: Docker images imported into its private containerd (`docker
save | ctr import`), skipping those already there with the same image ID, and the pause
image made from the kubelet build's static pause binary. Called by `realnode.py` and
`python -m kintern.devcluster load-images`.
"""

import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from kintern.devcluster.realnode_config import PAUSE_IMAGE, NodePaths, RealNodeError


def _log(message: str) -> None:
    print(f"[devcluster] {message}", file=sys.stderr, flush=True)


def ctr(paths: NodePaths, *args: str, stdin: int | None = None) -> str:
    argv = ["ctr", "--address", str(paths.socket), "--namespace", "k8s.io", *args]
    done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RealNodeError(f"{' '.join(argv[5:])}: {done.stderr.strip()}")
    return done.stdout


def docker_image_id(image: str) -> str | None:
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_pause_in_docker(pause_binary: Path) -> None:
    """The pod sandbox image: the static pause binary alone, imported into Docker once."""
    if docker_image_id(PAUSE_IMAGE):
        return
    with tempfile.TemporaryDirectory() as tmp:
        layer = Path(tmp) / "pause.tar"
        with tarfile.open(layer, "w") as tar:
            tar.add(pause_binary, arcname="pause")
        with layer.open("rb") as data:
            subprocess.run(
                ["docker", "import", "--change", 'ENTRYPOINT ["/pause"]', "-", PAUSE_IMAGE],
                stdin=data, check=True, capture_output=True,
            )  # fmt: skip


def load_images(paths: NodePaths, images: list[str]) -> list[str]:
    """Import Docker images into the node's containerd, skipping those already there with
    the same image ID. Returns the images it imported."""
    known = json.loads(paths.imported.read_text()) if paths.imported.exists() else {}
    present = set(ctr(paths, "images", "ls", "-q").split())
    imported = []
    for image in images:
        image_id = docker_image_id(image)
        if image_id is None:
            raise RealNodeError(f"image {image} is not in Docker (build it: make images)")
        if known.get(image) == image_id and containerd_name(image) in present:
            continue
        if containerd_name(image) in present:
            # The earlier build under this name goes first, so that containerd's garbage
            # collector frees its layers (a trainer image is 6.5 GB).
            ctr(paths, "images", "rm", "--sync", containerd_name(image))
        started = time.monotonic()
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        assert save.stdout is not None
        ctr(paths, "images", "import", "-", stdin=save.stdout.fileno())
        if save.wait() != 0:
            raise RealNodeError(f"docker save {image} failed")
        _log(f"imported {image} into the real node in {time.monotonic() - started:.0f} s")
        known[image] = image_id
        paths.imported.write_text(json.dumps(known, indent=2) + "\n")
        imported.append(image)
    return imported


def containerd_name(image: str) -> str:
    """The name containerd gives a Docker image reference (docker.io/ for bare names)."""
    first = image.split("/", 1)[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"
