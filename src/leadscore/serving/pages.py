"""leadscore's own pages of the service: ``/`` (what it is), ``/docs`` (the API: Swagger UI
on the OpenAPI document), ``/docs.json`` (that document) and ``/model-status``. None loads
anything from another host: the service handles customer data, so its pages make no
third-party request (BentoML's page at ``/`` loads a tag manager), and a browser is told
to hold them to that.

Swagger UI's files are the ones BentoML ships (the pinned BentoML 1.4 has Swagger UI 5,
which reads OpenAPI 3.1), served from here; ``docs.js`` is leadscore's, so that no script
runs inline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, cached_property
from importlib import resources
from importlib.resources.abc import Traversable

import jinja2

PAGES = ("/", "/docs", "/docs.json", "/model-status", "/model-status/")
FAVICON = "/favicon.ico"  # what a browser asks for with every page
ASSETS_PATH = "/docs/assets/"
ASSETS = {
    "swagger-ui.css": b"text/css; charset=utf-8",
    "swagger-ui-bundle.js": b"text/javascript; charset=utf-8",
    "docs.js": b"text/javascript; charset=utf-8",
}
# the API page's scripts and styles come from this service alone; Swagger UI sets styles
# inline and draws its icons as data: images
DOCS_POLICY = (
    b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; font-src 'self' data:"
)
PAGE_POLICY = b"default-src 'none'; style-src 'unsafe-inline'"


@cache
def asset(name: str) -> bytes | None:
    """The bytes of one of the API page's files (None where BentoML no longer ships it)."""
    if name == "docs.js":
        return resources.files("leadscore.serving").joinpath("templates/docs.js").read_bytes()
    try:
        found: Traversable = resources.files("bentoml").joinpath(
            "_internal/server/static_content", name
        )
        return found.read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return None


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
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(ASSETS_PATH) and path[len(ASSETS_PATH) :] in ASSETS:
            name = path[len(ASSETS_PATH) :]
            found = asset(name)
            if found is not None:
                await _answer(send, found, ASSETS[name], cache=True)
                return
        if path == FAVICON and (icon := asset("favicon-light-32x32.png")) is not None:
            await _answer(send, icon, b"image/png", cache=True)
            return
        if path not in PAGES:
            await self.app(scope, receive, send)
            return
        if path == "/docs.json":
            await _answer(send, json.dumps(self.document()).encode(), b"application/json")
        elif path.startswith("/model-status"):
            status = self.status() or {"ready": False, "models": {}, "last_reload_error": None}
            await _answer(send, json.dumps(status).encode(), b"application/json")
        elif path == "/docs":
            page = self._templates.get_template("docs.html").render(
                title="leadscore API", swagger=asset("swagger-ui-bundle.js") is not None
            )
            await _answer(send, page.encode(), b"text/html; charset=utf-8", policy=DOCS_POLICY)
        else:
            page = self._templates.get_template("index.html").render(
                title="leadscore", version=self.version, status=self.status()
            )
            await _answer(send, page.encode(), b"text/html; charset=utf-8")


async def _answer(
    send, body: bytes, media_type: bytes, *, policy: bytes = PAGE_POLICY, cache: bool = False
) -> None:
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        # the pages load nothing from elsewhere; the browser is told to hold them to it
        (b"content-security-policy", policy),
        (b"x-content-type-options", b"nosniff"),
    ]
    if cache:  # Swagger UI's 1.4 MB change only with the package
        headers.append((b"cache-control", b"public, max-age=86400"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
