"""The /healthz endpoint, served from the start, also while a replica waits to lead.

A standby replica is alive and ready (it serves nothing but waits on the Lease), so a
rolling update or a second replica becomes Ready; only the leader reconciles.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        known = self.path in ("/healthz", "/readyz", "/livez")
        self.send_response(200 if known else 404)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok\n" if known else b"not found\n")

    def log_message(self, format: str, *args: object) -> None:  # probes are not news
        return


def serve_health(port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True, name="healthz").start()
    return server
