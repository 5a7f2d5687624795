"""A tiny OAuth provider on 127.0.0.1, in a thread: it records every request and answers from a table."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    form: dict
    headers: dict


@dataclass
class FakeProvider:
    server: ThreadingHTTPServer
    # "METHOD /path" → (status, json body) or a list of them, served in order (the last one repeats)
    routes: dict = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, key: str, status: int, body: dict) -> None:
        self.routes[key] = [(status, body)]

    def then(self, key: str, status: int, body: dict) -> None:
        self.routes.setdefault(key, []).append((status, body))

    def requests_to(self, key: str) -> list[Seen]:
        method, path = key.split(" ", 1)
        return [s for s in self.seen if s.method == method and s.path == path]


def start() -> FakeProvider:
    provider: FakeProvider

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            provider.seen.append(Seen(self.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                      form, dict(self.headers)))
            answers = provider.routes.get(f"{self.command} {parts.path}")
            if not answers:
                status, body = 404, {"error": "not_found"}
            else:
                status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider = FakeProvider(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider
