"""Writes kwok's configuration: the Stages in `stages.yaml` (package data), which define
how fake nodes and pods behave, including the kwok.kintern.dev completion contract.
"""

from importlib import resources
from pathlib import Path

EXIT_CODE_ANNOTATION = "kwok.kintern.dev/exit-code"
TERMINATION_MESSAGE_ANNOTATION = "kwok.kintern.dev/termination-message"
REASON_ANNOTATION = "kwok.kintern.dev/reason"


def stages() -> str:
    """The Stage documents, as YAML text."""
    return resources.files("kintern.devcluster").joinpath("stages.yaml").read_text()


def write_config(path: Path) -> Path:
    """Write the file passed to `kwok --config`."""
    path.write_text(stages())
    return path


def completion_annotations(
    exit_code: int, message: str | None = None, reason: str | None = None
) -> dict[str, str]:
    """The pod annotations that make kwok end a Running pod with this outcome."""
    notes = {EXIT_CODE_ANNOTATION: str(exit_code)}
    if message is not None:
        notes[TERMINATION_MESSAGE_ANNOTATION] = message
    if reason is not None:
        notes[REASON_ANNOTATION] = reason
    return notes
