"""The /healthz endpoint, served from the start, also while a replica waits to lead.

A standby replica is alive and ready (it serves nothing but waits on the Lease), so a
rolling update or a second replica becomes Ready; only the leader reconciles. A bug (an
error that is not the apiserver being away) turns /healthz to 500, so the kubelet
restarts the replica and the restarts show, instead of a failing reconcile retried
forever behind a green probe.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Liveness:
    """Whether the process is still sound; thread-safe."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._failure: str | None = None

    def fail(self, why: str) -> None:
        with self._guard:
            self._failure = self._failure or why

    @property
    def failure(self) -> str | None:
        with self._guard:
            return self._failure


def serve_health(
    port: int, liveness: Liveness | None = None, host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    state = liveness or Liveness()

    class _Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            known = self.path in ("/healthz", "/readyz", "/livez")
            failure = state.failure
            code = 404 if not known else (500 if failure else 200)
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            text = "not found" if not known else (f"failed: {failure}" if failure else "ok")
            self.wfile.write(text.encode() + b"\n")

        def log_message(self, format: str, *args: object) -> None:  # probes are not news
            return

    server = ThreadingHTTPServer((host, port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True, name="healthz").start()
    return server
