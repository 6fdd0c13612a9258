"""A local HTTP server that answers like the services the agent calls, for tests.

Routes match the path (the query is recorded, not matched). A route answers with a
fixed response, or with a queue of responses served in order (for providers' POSTs).
Every request is recorded with its query, headers and body.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def json_response(data: Any, status: int = 200, **kwargs: Any) -> Response:
    return Response(status, json.dumps(data).encode(), **kwargs)


def text_response(text: str, status: int = 200, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), content_type)


class FakeWeb:
    """Serves registered routes on 127.0.0.1 at a free port until `close`."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Response]] = {}
        self.requests: list[Request] = []
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                web._answer(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                web._answer(self, json.loads(self.rfile.read(length) or b"null"))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def route(self, path: str, *responses: Response) -> None:
        """Answer `path` with `responses` in turn; the last one is repeated."""
        self.routes[path] = list(responses)

    def json(self, path: str, data: Any, status: int = 200, **kwargs: Any) -> None:
        self.route(path, json_response(data, status, **kwargs))

    def text(
        self, path: str, text: str, status: int = 200, content_type: str = "text/plain"
    ) -> None:
        self.route(path, text_response(text, status, content_type))

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        url = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append(Request(handler.command, url.path, parse_qs(url.query), headers, body))
        queue = self.routes.get(url.path)
        if not queue:
            response = json_response({"error": f"no route {url.path}"}, 404)
        else:
            response = queue.pop(0) if len(queue) > 1 else queue[0]
        time.sleep(response.delay_s)
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
