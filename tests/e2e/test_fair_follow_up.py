"""The trade-fair follow-up in a real browser against a real service: a new fair's first
scans uploaded on the fairs page, the whole export on the fair's page, the scans ranked
with their booth notes and due dates, the first one called from its lead page, and the
fair's "contacted" count up by one, at laptop and at phone size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO
from tests.e2e.test_workspace import _sign_in

pytestmark = pytest.mark.slow
EXAMPLE = REPO / "examples" / "trade_fair" / "hannover-messe-2026-scans.csv"
SIZES = {
    "laptop": ({"width": 1400, "height": 900}, "en-GB"),
    "phone": ({"width": 390, "height": 844}, "de-DE"),
}


def _contacted(page: Page, url: str, fair: str) -> int:
    page.goto(f"{url}/workspace/fairs")
    row = page.locator("#fairs tbody tr", has_text=fair)
    expect(row).to_have_count(1)
    return int(row.locator("td.contacted").inner_text())


@pytest.mark.parametrize("size", list(SIZES))
def test_a_fairs_scans_are_imported_ranked_and_followed_up(
    live: dict, browser: Browser, tmp_path: Path, size: str
) -> None:
    url, (viewport, locale) = live["url"], SIZES[size]
    fair = f"Hannover Messe 2026 ({size})"
    first_rows = tmp_path / "first-scans.csv"
    lines = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    first_rows.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    _sign_in(page, url)
    # a new fair: its name and its first scans on the fairs page
    page.goto(f"{url}/workspace/fairs")
    page.fill("#fair-name", fair)
    page.set_input_files("#scan-file", str(first_rows))
    page.click("#import")
    expect(page.get_by_role("heading", name=fair)).to_be_visible()
    expect(page.locator("#scans tbody tr")).to_have_count(3)
    # the whole export on the fair's page: the three again count once
    page.set_input_files("#scan-file", str(EXAMPLE))
    page.click("#import")
    expect(page.locator("#imported")).to_contain_text("20")
    rows = page.locator("#scans tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator(".booth-note")).to_have_count(19)  # one visitor left no word
    expect(page.locator("#scans")).to_contain_text("Will Angebot für 3 Standorte")
    due = page.locator("#scans td.due").all_inner_texts()
    # missed, open, or followed up already (the laptop's call, on the same person's lead)
    english = ("Overdue", "follow up within 48 hours", "Followed up")
    german = ("Überfällig", "binnen 48 Stunden nachfassen", "Nachgefasst am")
    words = english if locale == "en-GB" else german
    assert len(due) == 20 and all(any(w in d for w in words) for d in due), due
    # a missed one says so in words, not in red alone
    missed = page.locator("#scans td.due-missed")
    if missed.count():
        expect(missed.first).to_contain_text(words[0])
    # on a phone the rows are cards: nothing wider than the screen, the offer still there
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    expect(rows.first.locator("td.offer")).to_be_visible()
    before = _contacted(page, url, fair)
    page.goto(f"{url}/workspace/fairs/{fair}")
    first = page.locator("#scans tbody tr").first
    expect(first).not_to_have_class(re.compile("follow-done"))
    first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/workspace/leads/"))
    page.click("#rep_call_reached")
    expect(page.locator("#timeline")).to_be_visible()
    assert _contacted(page, url, fair) == before + 1
    page.goto(f"{url}/workspace/fairs/{fair}")
    expect(page.locator("#scans tbody tr").last).to_have_class(re.compile("follow-done"))
    context.close()
