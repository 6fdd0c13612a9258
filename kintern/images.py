"""The names of Kintern's three images, as `make images` tags them and the chart and the
operator default to (<registry>/<component>:<version>), and the digest of the sources they
are built from, which `make images` writes into each image's labels so that a test can
tell an image built from other sources. Standard library only: the build script runs it
before any environment exists (`python3 -m kintern.images source-digest`).
"""

import hashlib
import sys
from pathlib import Path

from kintern import __version__

DEFAULT_REGISTRY = "ghcr.io/kintern"
# The non-root user every image runs as (a passwd entry exists for it in each image).
IMAGE_UID = 65532
COMPONENTS = ("operator", "agent", "trainer")


def image(component: str, registry: str = DEFAULT_REGISTRY, tag: str = __version__) -> str:
    """The reference of one component's image, e.g. ghcr.io/kintern/trainer:0.1.0."""
    if component not in COMPONENTS:
        raise ValueError(f"no image {component!r}; images: {', '.join(COMPONENTS)}")
    return f"{registry}/{component}:{tag}"


# The trainer without vLLM, for CPU nodes (the real node, kind, the tests): its own tag.
CPU_TAG_SUFFIX = "-cpu"


def cpu_images(registry: str = DEFAULT_REGISTRY, tag: str = __version__) -> list[str]:
    """What `make images-cpu` builds: the operator, the agent and the CPU trainer."""
    return [
        image("operator", registry, tag),
        image("agent", registry, tag),
        image("trainer", registry, tag + CPU_TAG_SUFFIX),
    ]


# What the Dockerfiles copy (the .dockerignore allow-list) and the Dockerfiles themselves.
SOURCE_LABEL = "dev.kintern.source-digest"
_SOURCES = (
    "pyproject.toml",
    "hack/images/requirements.py",
    "kintern",
    "operator/kintern_operator",
    "agent/kintern_agent",
    "trainer-image/kintern_trainer",
    "operator/Dockerfile",
    "agent/Dockerfile",
    "trainer-image/Dockerfile",
)


def source_digest(root: Path) -> str:
    """sha256 over the path and content of every source file the images are built from."""
    digest = hashlib.sha256()
    for entry in _SOURCES:
        path = root / entry
        files = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                digest.update(str(file.relative_to(root)).encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


if __name__ == "__main__" and sys.argv[1:] == ["source-digest"]:
    print(source_digest(Path.cwd()))
