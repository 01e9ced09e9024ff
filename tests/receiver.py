"""A CRM's webhook endpoint for the tests: a real local HTTP server."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    """A CRM's webhook endpoint: answers 503 to its first ``refuse`` requests, then 200,
    each after ``delay`` seconds (a slow CRM); ``answers`` (status, headers), where given,
    are its first answers instead. Keeps the headers of every request as it arrived
    (``arrived``) and what it accepted. With ``secrets`` it verifies every delivery with
    the standardwebhooks package, holding those secrets (``unverified`` lists the ids of
    those that failed; a failed one is answered 401)."""

    def __init__(
        self,
        port: int,
        refuse: int = 0,
        delay: float = 0.0,
        answers: list[tuple[int, dict]] | None = None,
        secrets: list[str] | None = None,
    ) -> None:
        self.port, self.refuse, self.delay = port, refuse, delay
        self.answers = list(answers or [])
        self.secrets = secrets or []
        self.unverified: list[str] = []
        self.accepted: list[tuple[dict, dict, bytes]] = []
        self.arrived: list[dict] = []
        self.requests = 0
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()  # requests are answered in threads of their own

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers: dict = {}
                with receiver.lock:
                    receiver.requests += 1
                    receiver.arrived.append(dict(self.headers))
                    status = 503 if receiver.requests <= receiver.refuse else 200
                    if receiver.answers:
                        status, headers = receiver.answers.pop(0)
                if receiver.secrets and not receiver.verifies(dict(self.headers), body):
                    status = 401
                time.sleep(receiver.delay)
                if status == 200:
                    with receiver.lock:
                        receiver.accepted.append((json.loads(body), dict(self.headers), body))
                # a sender that gave up (or died) while we were slow has closed its end
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True  # a slow answer never holds up the test's end
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verifies(self, headers: dict, body: bytes) -> bool:
        """Whether a receiver holding any of ``secrets`` verifies the delivery, as the
        standardwebhooks package does (each secret tried alone)."""
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return True
        with self.lock:
            self.unverified.append(headers.get("webhook-id", "?"))
        return False

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
