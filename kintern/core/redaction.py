"""Secrets by their shape: what any component can redact without knowing the values.

The agent also replaces the values it knows (its environment, kintern_agent.redact); the
operator, which never reads Secrets, redacts a failed run's log tail by shape alone, and
so does local mode.
"""

import re
from collections.abc import Mapping

# Environment variables whose values are secrets, by name.
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
SECRET_SHAPES = re.compile(
    r"\b(sk-ant-[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
)
# NAME=value where the name says it is a secret (HF_TOKEN=..., AWS_SECRET_ACCESS_KEY=...),
# and an HTTP bearer token: the value may have any shape.
SECRET_ASSIGNMENT = re.compile(
    r"\b([A-Z][A-Z0-9_]*(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIALS?)[A-Z0-9_]*=)\S+"
)
BEARER = re.compile(r"\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
REDACTED = "[redacted]"


def redact_shapes(text: str) -> str:
    """`text` with every secret-shaped string replaced by [redacted]."""
    text = SECRET_SHAPES.sub(REDACTED, text)
    text = SECRET_ASSIGNMENT.sub(rf"\1{REDACTED}", text)
    return BEARER.sub(rf"\1{REDACTED}", text)


def without_secrets(environ: Mapping[str, str], keep: tuple[str, ...] = ()) -> dict[str, str]:
    """`environ` without the variables named like secrets, except those in `keep`."""
    return {k: v for k, v in environ.items() if k in keep or not SECRET_NAME.search(k)}
