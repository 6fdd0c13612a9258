"""Cross-field rules that the schema alone cannot say, written once for two enforcers.

Each rule carries a CEL expression (rendered into the CRD, so the apiserver enforces
it) and the same check in Python (run by local mode), so `kintern run` and
`kubectl apply` refuse the same specs with the same message.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CrossFieldRule:
    """One rule: `cel` for the apiserver, `holds` for Python, both over the same object."""

    cel: str
    message: str
    holds: Callable[[Any], bool]
    field_path: str = ""

    def to_crd(self) -> dict[str, str]:
        rule = {"rule": self.cel, "message": self.message}
        if self.field_path:
            rule["fieldPath"] = self.field_path
        return rule


def rules_of(model: type) -> list[CrossFieldRule]:
    """The rules declared on a model class (class attribute `__rules__`)."""
    return list(getattr(model, "__rules__", ()))
