"""The API page in a real browser (Debian's chromium) against a real `bentoml serve`:
Swagger UI draws every operation of the OpenAPI 3.1 document from files the service
serves itself, with its Markdown rendered and its references resolved, and the browser
asks no other host for anything."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.slow


def test_the_api_page_renders_the_document_from_the_service_alone(
    live: dict, browser: Browser
) -> None:
    document = httpx.get(f"{live['url']}/docs.json", timeout=30).json()
    assert document["openapi"] == "3.1.0"
    drawn = [*document["paths"].values(), *document["webhooks"].values()]
    operations = [o for ops in drawn for o in ops.values()]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(f"{live['url']}/docs")
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(operations), timeout=30_000)
    expect(page.locator(".info .title")).to_contain_text("leadscore")
    # the description's Markdown is rendered: `code` as code, not as backticks
    description = page.locator(".info .description")
    expect(description.locator("code").first).to_be_visible()
    assert "`" not in description.inner_text()
    for operation_id in (
        "scoreLeads",
        "takeEvents",
        "getLead",
        "listChangedScores",
        "alert_lead_grade_reached",
        "write_hubspot",
    ):
        expect(page.get_by_text(operation_id, exact=True)).to_have_count(1)
    # an operation opened: its schema drawn from the components, no "$ref" left in sight
    page.locator(".opblock-summary", has_text="/scores").first.click()
    expect(page.locator(".opblock.is-open .responses-wrapper")).to_be_visible()
    page.locator(".opblock.is-open .model-example button", has_text="Schema").first.click()
    expect(page.locator(".opblock.is-open .model-box").first).to_be_visible()
    assert "$ref" not in page.locator(".opblock.is-open").inner_text()
    assert hosts == {urlsplit(live["url"]).netloc}, hosts
    assert not problems, problems
    page.close()
