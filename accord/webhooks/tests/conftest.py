"""Webhook test helpers: a real HTTP receiver on 127.0.0.1, endpoints, and a task runner."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A local HTTP server: records every post, answers from ``script`` (status, headers), then 200."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: deque = field(default_factory=deque)

    def answer(self, *replies: tuple[int, dict[str, str]] | int) -> None:
        for reply in replies:
            self.script.append(reply if isinstance(reply, tuple) else (reply, {}))


@pytest.fixture
def receiver():
    state: dict[str, Receiver] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                rec = state["receiver"]
                rec.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
                status, headers = rec.script.popleft() if rec.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/accord")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_endpoint(personas):
    from accord.webhooks.services import webhook_endpoint_create

    def make(url: str, *types: str, allow_private: bool = True, name: str = "CRM"):
        return webhook_endpoint_create(
            actor=personas.root,
            name=name,
            url=url,
            event_types=types or ["lead.assigned"],
            allow_private=allow_private,
        )

    return make
