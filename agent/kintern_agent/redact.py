"""Keeps secrets out of the model's context and the trace.

Every tool output and every trace line passes through `Redactor.redact`, which
replaces the values of secret-looking environment variables (API keys, tokens,
passwords) and anything shaped like a well-known key with a placeholder.
"""

import os
import re
from collections.abc import Mapping

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
SECRET_SHAPES = re.compile(
    r"\b(sk-ant-[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
)
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
        return SECRET_SHAPES.sub("[redacted]", text)
