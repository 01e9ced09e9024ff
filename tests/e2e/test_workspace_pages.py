"""Every page of the sales workspace in a real browser, in German and English, on a laptop
(1400x900) and a phone (390x844): German pages say nothing in English and show no raw
column name, no page is wider than the phone's screen. With ``LEADSCORE_SCREENSHOTS=DIR``
each page's screenshot is saved there (``docs/screenshots`` holds the committed ones)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import REP, REP_PASSWORD, _cli, workspace_form
from tests.language import english_phrases

pytestmark = pytest.mark.slow

SIZES = {"laptop": (1400, 900), "phone": (390, 844)}


def _signed_in(browser: Browser, url: str, size: tuple[int, int]) -> Page:
    context = browser.new_context(locale="de-DE", viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{url}/workspace/login")
    page.fill("#user", REP)
    page.fill("#password", REP_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/workspace$"))
    return page


# the outermost element that reaches past the screen's right edge, for the message
WIDEST = """() => {
  const wide = [...document.querySelectorAll('body *')].filter(
    e => e.getBoundingClientRect().right > window.innerWidth + 1);
  const outer = wide.filter(e => !wide.includes(e.parentElement));
  return outer.slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className + ' '
    + Math.round(e.getBoundingClientRect().right)).join(', ');
}"""


@pytest.fixture(scope="module")
def tour(live: dict) -> dict[str, str]:
    """The pages to see, by name: every page of the workspace, a lead and a fair the
    shared store has, and the champion's monitoring (run first: the workspace keeps a
    champion's report a while, so a page asked for before the run would stay missing)."""
    _cli("monitor", "--days", "7", cwd=live["home"], env=live["env"])
    with httpx.Client(base_url=live["url"], timeout=60) as client:
        client.post(
            "/workspace/login", data=workspace_form(client, user=REP, password=REP_PASSWORD)
        )
        listed = client.get("/workspace").text
        fairs = client.get("/workspace/fairs").text
    lead = re.search(r'href="(/workspace/leads/[^"]+)"', listed)
    # the oldest fair: the synthetic CRM's (an uploaded one's booth notes are the visitors'
    # own words, in whatever language they spoke)
    fair = ([None, *re.finditer(r'href="(/workspace/fairs/[^"]+)"', fairs)])[-1]
    assert lead is not None and fair is not None, "the shared store has leads and fairs"
    return {
        "leads": "/workspace",
        "my-leads": "/workspace?view=mine",
        "lead": lead.group(1),
        "fairs": "/workspace/fairs",
        "fair": fair.group(1),
        "model": "/workspace/model",
        "monitoring": "/workspace/model/monitoring",
        "missing": "/workspace/leads/NO-SUCH-LEAD",
    }


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_page_in_german_and_english(
    live: dict, tour: dict[str, str], browser: Browser, size: str
) -> None:
    url = live["url"]
    pages = tour
    shots = (
        Path(os.environ["LEADSCORE_SCREENSHOTS"]) if "LEADSCORE_SCREENSHOTS" in os.environ else None
    )
    page = _signed_in(browser, url, SIZES[size])
    problems = []
    for lang in ("de", "en"):
        for name, path in pages.items():
            joined = "&" if "?" in path else "?"
            answer = page.goto(f"{url}{path}{joined}lang={lang}")
            assert answer is not None and answer.status == (404 if name == "missing" else 200)
            assert page.locator("html").get_attribute("lang") == lang
            if lang == "de":
                problems += [f"{name}: {p!r}" for p in english_phrases(page.inner_text("body"))]
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > SIZES[size][0]:
                wide = page.evaluate(WIDEST)
                problems.append(
                    f"{name} ({lang}): {width} px wide on a {SIZES[size][0]} px screen ({wide})"
                )
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{name}-{lang}-{size}.png"))
    page.context.close()
    signed_out = browser.new_page(viewport={"width": SIZES[size][0], "height": SIZES[size][1]})
    for lang in ("de", "en"):
        signed_out.goto(f"{url}/workspace/login?lang={lang}")
        if lang == "de":
            problems += [f"login: {p!r}" for p in english_phrases(signed_out.inner_text("body"))]
        if shots is not None:
            signed_out.screenshot(path=str(shots / f"login-{lang}-{size}.png"))
    signed_out.close()
    assert not problems, "\n".join(problems)
