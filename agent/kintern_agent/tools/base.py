"""What every Kintern tool shares: the expected-failure exception and the base class.

A tool is a smolagents `Tool` (name, description, inputs, output_type, forward). It
returns text for the model. Expected failures (a 404, a timeout, a rejected spec)
raise `ToolError`, whose message the loop hands to the model; anything else is a bug
and propagates.
"""

from smolagents import Tool

PAGE_CHARS = 12_000


class ToolError(Exception):
    """An expected failure; its message is shown to the model, which can act on it."""


class KinternTool(Tool):  # type: ignore[misc]  # smolagents ships no type information
    """A tool that returns text."""

    output_type = "string"


def cut(text: str, max_chars: int) -> str:
    """`text`, shortened to `max_chars` with an ellipsis when longer."""
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


def page(text: str, offset: int, size: int = PAGE_CHARS) -> str:
    """One page of `text` from `offset`, saying where the next page starts."""
    if offset < 0 or (offset >= len(text) and text):
        raise ToolError(f"offset {offset} is outside the text ({len(text)} characters)")
    chunk = text[offset : offset + size]
    end = offset + len(chunk)
    if end < len(text):
        return chunk + f"\n\n[characters {offset}-{end} of {len(text)}; next: offset={end}]"
    return chunk + f"\n\n[end of text, {len(text)} characters]"
