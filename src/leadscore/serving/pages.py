"""leadscore's own pages of the service: ``/`` (what it is), ``/docs`` (the API, read from
the OpenAPI document), ``/docs.json`` (that document) and ``/model-status``. None loads
anything from another host: the service handles customer data, so its pages make no
third-party request (BentoML's page at ``/`` loads a tag manager)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property

import jinja2

PAGES = ("/", "/docs", "/docs.json", "/model-status", "/model-status/")


class PagesMiddleware:
    """ASGI middleware answering GET on ``PAGES``; everything else goes on to the app.

    ``document`` gives the OpenAPI document (made when asked: it names the profile fields
    of the champion serving then); ``status`` the model status (None before the service
    has loaded its models).
    """

    def __init__(
        self, app, *, document: Callable[[], dict], status: Callable[[], dict | None], version: str
    ) -> None:
        self.app = app
        self.document = document
        self.status = status
        self.version = version

    @cached_property
    def _templates(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.PackageLoader("leadscore.serving", "templates"),
            autoescape=True,
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] not in PAGES or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == "/docs.json":
            await _answer(send, json.dumps(self.document()).encode(), b"application/json")
        elif path.startswith("/model-status"):
            status = self.status() or {"ready": False, "models": {}, "last_reload_error": None}
            await _answer(send, json.dumps(status).encode(), b"application/json")
        elif path == "/docs":
            # the address the request came in on, not its Host header: a page must not say
            # what a sender chose (a Host of another site would put it in the examples)
            host, port = scope.get("server") or ("127.0.0.1", 3000)
            page = self._templates.get_template("docs.html").render(
                title="leadscore API", doc=self.document(), base=f"http://{host}:{port}"
            )
            await _answer(send, page.encode(), b"text/html; charset=utf-8")
        else:
            page = self._templates.get_template("index.html").render(
                title="leadscore", version=self.version, status=self.status()
            )
            await _answer(send, page.encode(), b"text/html; charset=utf-8")


async def _answer(send, body: bytes, media_type: bytes) -> None:
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        # the pages load nothing from elsewhere; the browser is told to hold them to it
        (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
