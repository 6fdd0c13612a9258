"""arXiv helpers shared by the paper tools: ids and the Atom feed."""

import re
import xml.etree.ElementTree as ET

from kintern_agent.tools.base import ToolError, cut

ATOM = "{http://www.w3.org/2005/Atom}"
ABSTRACT_CHARS = 300
ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")


def normalize_id(text: str) -> str:
    """'arXiv:2402.03300v2' -> '2402.03300'; a ToolError for anything that is not an id."""
    match = ARXIV_ID.match(text.strip().removeprefix("arXiv:").removeprefix("arxiv:"))
    if not match:
        raise ToolError(f"{text!r} is not an arXiv id; write it like 2402.03300")
    return match.group(1)


def entries(atom: str, abstract_chars: int = ABSTRACT_CHARS) -> list[str]:
    """One line per entry of an arXiv Atom feed: id, year, title, start of the abstract."""
    try:
        root = ET.fromstring(atom)
    except ET.ParseError as e:
        raise ToolError("arXiv answered with a feed that could not be parsed") from e
    lines = []
    for entry in root.iter(f"{ATOM}entry"):
        arxiv_id = entry.findtext(f"{ATOM}id", "").rsplit("/abs/", 1)[-1]
        title = " ".join(entry.findtext(f"{ATOM}title", "").split())
        year = entry.findtext(f"{ATOM}published", "")[:4]
        summary = cut(" ".join(entry.findtext(f"{ATOM}summary", "").split()), abstract_chars)
        lines.append(f"- {arxiv_id} ({year}) {title}: {summary}")
    return lines
