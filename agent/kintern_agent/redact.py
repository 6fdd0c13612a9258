"""Keeps secrets out of the model's context and the trace.

Every tool call's arguments, every tool output and every trace line pass through the
`Redactor`, which replaces the values of secret-looking environment variables (API keys,
tokens, passwords) and anything shaped like a well-known key with a placeholder.
"""

import os
from collections.abc import Mapping
from typing import Any

from kintern.core.redaction import SECRET_NAME, redact_shapes

MIN_SECRET_LENGTH = 8


class Redactor:
    """Replaces known secret values (from the environment) and key-shaped strings."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        found = {
            value: name
            for name, value in env.items()
            if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH
        }
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(found.items(), key=lambda kv: -len(kv[0]))

    def redact(self, text: str) -> str:
        for value, name in self._secrets:
            if value in text:
                text = text.replace(value, f"[redacted {name}]")
        return redact_shapes(text)

    def redact_value(self, value: Any) -> Any:
        """`value` (a tool call's arguments, say) with every string in it redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_value(v) for v in value]
        return value
