"""Oversized tool outputs: cut for the model, kept whole on disk with a pointer.

A tool output over `max_chars` is cut to its head and tail; the full text goes to
`<trace dir>/outputs/<name>.txt` and the cut text says how to read the rest with the
`read_saved_output` tool.
"""

import re
from pathlib import Path

DEFAULT_MAX_OUTPUT_CHARS = 24_000
HEAD_SHARE = 0.75


class OutputStore:
    """Full texts of cut outputs, by name, in one directory."""

    def __init__(self, directory: Path):
        self.directory = directory

    def save(self, name: str, text: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / f"{safe}.txt").write_text(text)
        return safe

    def read(self, name: str) -> str | None:
        path = self.directory / f"{name}.txt"
        if path.parent != self.directory or not path.is_file():
            return None
        return path.read_text()


def clip(
    text: str, name: str, store: OutputStore, max_chars: int = DEFAULT_MAX_OUTPUT_CHARS
) -> str:
    """`text` itself when short; else its head and tail and a pointer to the saved whole."""
    if len(text) <= max_chars:
        return text
    saved = store.save(name, text)
    head = int(max_chars * HEAD_SHARE)
    tail = max_chars - head
    return (
        f"{text[:head]}\n\n[... output cut: {len(text)} characters in all; "
        f"{len(text) - max_chars} characters not shown. Read them with "
        f"read_saved_output(name={saved!r}, offset={head}) ...]\n\n{text[-tail:]}"
    )
