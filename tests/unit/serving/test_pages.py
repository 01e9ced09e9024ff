"""The service's own pages: answered here, nothing loaded from another host."""

from __future__ import annotations

import asyncio

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
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script src=" not in response.text


def test_the_front_page_names_the_version() -> None:
    assert "1.2.3" in _get("/").text


def test_the_api_page_lists_each_operation_and_schema_of_the_document() -> None:
    page = _get("/docs").text
    assert "leadscore 9.9" in page
    assert "curl -s http://svc:3000/score" in page  # the address the page was asked on
    assert '<h2 id="post-score">' in page and '<h2 id="get-healthz">' in page
    assert "Needs Authorization: Bearer &lt;key&gt;." in page
    assert "Open: no key needed." in page
    assert "one result per lead" in page
    assert 'id="schema-ScoreRequest"' in page


def test_other_paths_and_methods_go_on_to_the_app() -> None:
    for method, path in (("GET", "/score"), ("POST", "/docs"), ("GET", "/docs/")):
        response = _get(path, method=method)
        assert (response.status_code, response.text) == (299, "from the app")


def test_the_api_page_does_not_repeat_a_host_header_it_was_sent() -> None:
    page = _get("/docs", headers={"Host": "attacker.example"}).text
    assert "attacker.example" not in page and "curl -s http://svc:3000/score" in page
