"""A local HTTP server (127.0.0.1) that speaks the part of the Hub's API an upload uses.

huggingface_hub's `create_repo` and `create_commit` call, in order: POST /api/repos/create,
POST /api/validate-yaml (when README.md is in the commit), POST
/api/models/{repo}/preupload/{revision} (answered "regular" for every file, so contents go
inline, base64, in the commit rather than through LFS), and POST
/api/models/{repo}/commit/{revision} (newline-delimited JSON). The server keeps the repos,
their files and every request's path and Authorization header for the test to check;
anything else gets a 404 and is recorded too.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPO_PATH = r"/api/models/(?P<repo>[^/]+/[^/]+)"


@dataclass
class Repo:
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)


class FakeHub:
    """Start with `with FakeHub() as hub:`; `hub.endpoint` is its base URL."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/api/repos/create":
            return self._create(json.loads(body))
        if method == "POST" and path == "/api/validate-yaml":
            return 200, {"errors": [], "warnings": []}
        if match := re.fullmatch(REPO_PATH + r"/preupload/[^/]+", path):
            return self._preupload(match["repo"], json.loads(body))
        if match := re.fullmatch(REPO_PATH + r"/commit/[^/]+", path):
            return self._commit(match["repo"], body)
        return 404, {"error": f"the fake Hub does not serve {method} {path}"}

    def _create(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        repo = f"{payload['organization']}/{payload['name']}"
        if repo in self.repos:
            return 409, {"error": "You already created this model repo"}
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        self.repos[repo] = Repo(private=private)
        return 200, {"url": f"{self.endpoint}/{repo}"}

    def _preupload(self, repo: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        files = [
            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
            for f in payload["files"]
        ]
        return 200, {"files": files, "commitOid": "0" * 40}

    def _commit(self, repo: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if repo not in self.repos:
            return 404, {"error": "Repository not found"}
        for line in body.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "header":
                self.repos[repo].commits.append(item["value"]["summary"])
            elif item["key"] == "file":
                value = item["value"]
                self.repos[repo].files[value["path"]] = base64.b64decode(value["content"])
        oid = f"{len(self.repos[repo].commits):040d}"
        return 200, {"commitUrl": f"{self.endpoint}/{repo}/commit/{oid}", "commitOid": oid}


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0]
            hub.requests.append(("POST", path, self.headers.get("Authorization")))
            status, answer = hub.answer("POST", path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            hub.requests.append(("GET", self.path, self.headers.get("Authorization")))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reads hub.requests instead

    return Handler
