"""A sales rep's morning in a real browser against a real service, at laptop and phone
size: sign in, open "Meine Leads", open the top lead, mark it called with a
note, see it on the timeline, in the store and in the CSV; then import the fair's scans,
take the first scan's lead and find it among "Meine Leads"."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import REPO
from tests.e2e.conftest import OWNER
from tests.e2e.test_workspace import _sign_in

pytestmark = pytest.mark.slow
EXAMPLE = REPO / "examples" / "trade_fair" / "hannover-messe-2026-scans.csv"
SIZES = {"laptop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_reps_morning(live: dict, browser: Browser, tmp_path: Path, size: str) -> None:
    url, store = live["url"], live["store"]
    context = browser.new_context(locale="de-DE", viewport=SIZES[size], accept_downloads=True)
    page = context.new_page()
    _sign_in(page, url)

    # "Meine Leads": the leads the CRM gives the rep, best first
    page.click("#nav-mine")
    expect(page).to_have_url(re.compile(r"view=mine"))
    # the CRM's leads (a lead taken from a fair's scans is "mine" too, and may rank first)
    mine = page.locator('#leads tbody tr a[data-id^="C-"]')
    assert mine.count() >= 1
    lead = mine.first.get_attribute("data-id")
    owners = store.customers([lead], fields=["owner"])["owner"].tolist()
    assert owners == [OWNER]
    mine.first.click()
    expect(page).to_have_url(re.compile(r"/workspace/leads/"))
    expect(page.locator("#owner")).to_have_text(OWNER)

    # called, reached, with a note: on the timeline, in the store
    note = f"Rückruf Dienstag 10 Uhr ({size})"
    page.fill("#note", note)
    page.click("#rep_call_reached")
    first = page.locator("#timeline tbody tr").first
    expect(first).to_contain_text("Angerufen: erreicht")
    expect(first).to_contain_text(note)
    events = store.rows("events", [lead])
    called = events[events["event_type"] == "rep_call_reached"]
    assert called["campaign"].str.endswith(note).any()

    # ... and in the CSV of "Meine Leads", as German Excel reads it
    page.goto(f"{url}/workspace?view=mine")
    with page.expect_download() as download:
        page.click("#export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    rows = {r["customer_id"]: r for r in csv.DictReader(io.StringIO(exported), delimiter=";")}
    assert rows[lead]["last_action"] == "rep_call_reached" and rows[lead]["owner"] == OWNER

    # the fair's scans imported, the first followed up: taken, and among "Meine Leads"
    fair = f"Hannover Messe 2026 ({size}, morning)"
    page.goto(f"{url}/workspace/fairs")
    page.fill("#fair-name", fair)
    # the visitors of this run's own fair: people of their own (their e-mails tagged)
    scans = tmp_path / "scans.csv"
    scans.write_text(
        EXAMPLE.read_text(encoding="utf-8-sig").replace("@", f"+{size}@"), encoding="utf-8"
    )
    page.set_input_files("#scan-file", str(scans))
    page.click("#import")
    expect(page.get_by_role("heading", name=fair)).to_be_visible()
    expect(page.locator("#scans tbody tr")).to_have_count(20)
    page.locator("#scans tbody tr").first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/workspace/leads/"))
    scanned = page.url.rsplit("/", 1)[-1].split("?")[0]
    page.click("#rep_took_lead")
    expect(page.locator("#yours")).to_be_visible()
    page.goto(f"{url}/workspace?view=mine")
    expect(page.locator(f'#leads a[data-id="{scanned}"]')).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], width
    context.close()
