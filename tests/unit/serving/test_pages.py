"""The service's own pages: answered here, nothing loaded from another host."""

from __future__ import annotations

import asyncio
import re

import httpx

from leadscore.serving.pages import PagesMiddleware

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "leadscore", "version": "9.9", "description": "Scores leads."},
    "paths": {
        "/score": {
            "post": {
                "summary": "Score leads",
                "description": "Grades and reasons.",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "one result per lead"}},
            }
        },
        "/healthz": {"get": {"description": "alive", "responses": {"200": {"description": "ok"}}}},
    },
    "components": {"schemas": {"ScoreRequest": {"type": "object"}}},
}


def _get(
    path: str, *, status: dict | None = None, method: str = "GET", headers: dict | None = None
) -> httpx.Response:
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"from the app"})

    pages = PagesMiddleware(app, document=lambda: DOCUMENT, status=lambda: status, version="1.2.3")

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=pages)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc:3000") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(go())


def test_the_openapi_document_is_served_as_json() -> None:
    response = _get("/docs.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == DOCUMENT


def test_model_status_before_the_models_are_loaded_says_not_ready() -> None:
    for path in ("/model-status", "/model-status/"):
        response = _get(path)
        assert response.json() == {"ready": False, "models": {}, "last_reload_error": None}


def test_model_status_once_loaded_is_the_services_own() -> None:
    said = {"ready": True, "models": {"conversion": "4"}, "last_reload_error": None}
    assert _get("/model-status", status=said).json() == said


def test_the_pages_are_html_that_may_load_nothing_from_elsewhere() -> None:
    for path in ("/", "/docs"):
        response = _get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "http" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        scripts = re.findall(r'<script src="([^"]+)"', response.text)
        assert all(s.startswith("/docs/assets/") for s in scripts)
        assert "<script>" not in response.text  # nothing inline
    assert "script-src" not in _get("/").headers["content-security-policy"]


def test_the_front_page_names_the_version() -> None:
    assert "1.2.3" in _get("/").text


def test_the_api_page_is_swagger_ui_on_the_document_with_its_files_served_here() -> None:
    page = _get("/docs").text
    assert '<div id="swagger-ui">' in page and 'href="/docs.json"' in page
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "docs.js"):
        served = _get(f"/docs/assets/{name}")
        assert served.status_code == 200 and len(served.content) > 300, name
        assert served.headers["cache-control"] == "public, max-age=86400"
        assert served.headers["content-type"].startswith(("text/css", "text/javascript"))
    initializer = _get("/docs/assets/docs.js").text
    assert 'url: "/docs.json"' in initializer and "validatorUrl: null" in initializer
    assert b"SwaggerUIBundle" in _get("/docs/assets/swagger-ui-bundle.js").content


def test_other_paths_and_methods_go_on_to_the_app() -> None:
    for method, path in (
        ("GET", "/score"),
        ("POST", "/docs"),
        ("GET", "/docs/"),
        ("GET", "/docs/assets/other.js"),
        ("GET", "/docs/assets/../../etc/passwd"),
    ):
        response = _get(path, method=method)
        assert (response.status_code, response.text) == (299, "from the app")


def test_the_api_page_does_not_repeat_a_host_header_it_was_sent() -> None:
    page = _get("/docs", headers={"Host": "attacker.example"}).text
    assert "attacker.example" not in page


def test_a_browsers_favicon_request_gets_an_icon_not_an_error() -> None:
    icon = _get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG")
