"""Waits for a component to answer its health endpoint, and fails loudly, with the
component's log tail, when it exits or does not come up in time.
"""

import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from kintern.devcluster.process import ProcessRecord, log_tail


class ComponentFailed(RuntimeError):
    """A control-plane component exited or never became healthy."""


@dataclass(frozen=True)
class HealthCheck:
    """An HTTP(S) endpoint that answers 200 once the component is ready."""

    url: str
    context: ssl.SSLContext | None = None

    def ok(self) -> bool:
        """One probe: True on HTTP 200."""
        try:
            with urllib.request.urlopen(self.url, timeout=2, context=self.context) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def insecure_context() -> ssl.SSLContext:
    """TLS without verification, for the self-signed health ports of kcm and scheduler."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    """TLS that trusts the cluster CA and presents a client certificate."""
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, key)
    return context


def failure(record: ProcessRecord, why: str) -> ComponentFailed:
    """The error to raise for a component, with the tail of its log."""
    return ComponentFailed(
        f"{record.name} {why}; last lines of {record.log}:\n{log_tail(record.log)}"
    )


def wait_healthy(record: ProcessRecord, check: HealthCheck, timeout: float = 60.0) -> None:
    """Poll the health URL until it answers 200; ComponentFailed if the process dies first
    or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not record.alive():
            raise failure(record, f"exited before answering {check.url}")
        if check.ok():
            return
        time.sleep(0.2)
    raise failure(record, f"still not answering {check.url} after {timeout:.0f}s")
