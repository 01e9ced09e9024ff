"""A CRM's webhook endpoint for the tests: a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A CRM's webhook endpoint: answers 503 to its first ``refuse`` requests, then 200;
    keeps what it accepted."""

    def __init__(self, port: int, refuse: int = 0) -> None:
        self.port, self.refuse = port, refuse
        self.accepted: list[tuple[dict, dict, bytes]] = []
        self.requests = 0
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                status = 503 if receiver.requests <= receiver.refuse else 200
                if status == 200:
                    receiver.accepted.append((json.loads(body), dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
