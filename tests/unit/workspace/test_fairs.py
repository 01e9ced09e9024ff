"""The trade-fair pages on a real SQLite store: a scan file uploaded on the fairs page
makes leads and scans, the fair page ranks them with their booth notes and due dates,
paged; a rep's call counts as contacted; bad files answer a page naming the rows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from leadscore.store.store import Store
from leadscore.workspace.fairs import MAX_UPLOAD_BYTES, multipart_fields
from leadscore.workspace.users import put_user
from tests.unit.workspace.test_actions import client_of, form_of
from tests.unit.workspace.test_app import Clock, sign_in

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "trade_fair" / "hannover-messe-2026-scans.csv"
FAIR = "Hannover Messe 2026"


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = pd.Timestamp("2026-12-03 12:00", tz="UTC")  # in the example's fair
    return clock


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path}/leadscore.db")


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def upload(client: TestClient, data: bytes, fair: str = FAIR, path: str = "/workspace/fairs"):
    return client.post(
        "/workspace/fairs",
        data={"csrf": csrf(client, path), "fair": fair},
        files={"scans": ("scans.csv", data, "text/csv")},
    )


def test_an_uploaded_file_ranks_its_leads_with_notes_and_due_dates(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    client = client_of(tmp_path, store, clock)
    answer = upload(client, EXAMPLE.read_bytes())
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/workspace/fairs/Hannover%20Messe%202026?")
    page = client.get(answer.headers["location"] + "&lang=de")
    assert page.status_code == 200
    assert "20 Scans importiert" in page.text
    rows = re.findall(r'<tr class="follow-(\w+)">', page.text)
    assert len(rows) == 20
    assert page.text.count('class="booth-note"') == 19  # one visitor left no word
    body = page.text[page.text.index("<main") :]
    assert 'class="grade ' not in body and not re.search(r"\bnan\b", body)  # none graded
    # none scored: those who asked for a call, with an interest, come first
    first = page.text.index('<tr class="follow-')
    assert "wünscht Rückruf" in page.text[first : page.text.index("</tr>", first)]
    # at noon on the fair's second day every scan is still within its 48 hours
    assert page.text.count("binnen 48 Stunden nachfassen") == 20
    clock.now = pd.Timestamp("2026-12-10", tz="UTC")
    sign_in(client)  # a week on: the session has ended
    late = client.get(answer.headers["location"].split("?")[0]).text
    assert late.count('class="due due-missed"') == 20 and "Überfällig" in late
    # the same file again adds nothing
    again = upload(client, EXAMPLE.read_bytes())
    assert "repeated=20" in again.headers["location"]
    assert store.count("events") == 20


def test_a_call_after_the_scan_counts_as_contacted_and_ends_the_due(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    client = client_of(tmp_path, store, clock)
    upload(client, EXAMPLE.read_bytes())
    listing = client.get("/workspace/fairs").text
    assert re.search(r'class="contacted">0<', listing)
    assert "02.12.2026" in client.get("/workspace/fairs?lang=de").text  # its first day
    fair = client.get(f"/workspace/fairs/{FAIR}").text
    lead = re.search(r'href="/workspace/leads/([^"]+)"', fair)
    assert lead is not None
    customer_id = lead.group(1)
    called = client.post(
        f"/workspace/leads/{customer_id}/actions",
        data={**form_of(client, customer_id), "action": "rep_call_reached"},
    )
    assert called.status_code == 303
    assert re.search(r'class="contacted">1<', client.get("/workspace/fairs").text)
    fair = client.get(f"/workspace/fairs/{FAIR}").text
    assert fair.count('class="follow-done"') == 1
    # followed up: after every open one
    states = re.findall(r'<tr class="follow-(\w+)">', fair)
    assert states[-1] == "done"


def test_the_fair_page_is_paged_and_a_page_past_the_last_is_the_last(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    lines = ["Scan Date,Email,First Name,Last Name,Notes"]
    lines += [f"2026-12-02 10:{i % 60:02d},p{i}@example.com,P,{i}," for i in range(60)]
    client = client_of(tmp_path, store, clock)
    assert upload(client, "\n".join(lines).encode()).status_code == 303
    first = client.get(f"/workspace/fairs/{FAIR}").text
    assert first.count('<tr class="follow-') == 50 and "1 / 2" in first
    last = client.get(f"/workspace/fairs/{FAIR}", params={"page": 99}).text
    assert last.count('<tr class="follow-') == 10 and "2 / 2" in last


def test_bad_rows_are_named_and_the_good_ones_imported(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    data = (
        b"Datum;E-Mail;Vorname;Nachname\n"
        b"03.12.2026 14:05;a@example.de;Ada;Lovelace\n"
        b"gestern;b@example.de;Bob;B\n"
        b"03.12.2026 15:00;;;\n"
    )
    client = client_of(tmp_path, store, clock)
    answer = upload(client, data)
    assert answer.status_code == 200
    assert "3 rows read: 1 scans imported, 2 rows rejected" in answer.text
    assert "<td>3</td><td>Datum</td>" in answer.text and "gestern" in answer.text
    assert "<td>4</td><td>E-Mail</td><td>No e-mail and no name" in answer.text
    nothing = upload(client, b"Datum;E-Mail\ngestern;b@example.de\n")
    assert nothing.status_code == 422 and 'id="rejected"' in nothing.text


def test_uploads_without_a_fair_a_file_a_token_or_too_large_are_refused(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    client = client_of(tmp_path, store, clock)
    assert upload(client, EXAMPLE.read_bytes(), fair=" ").status_code == 400
    assert upload(client, b"").status_code == 400
    forged = client.post(
        "/workspace/fairs",
        data={"csrf": "forged", "fair": FAIR},
        files={"scans": ("s.csv", EXAMPLE.read_bytes(), "text/csv")},
    )
    assert forged.status_code == 403
    big = upload(client, b"x" * (MAX_UPLOAD_BYTES + 1))
    assert big.status_code == 413 and "5 MB" in big.text
    assert store.count("events") == 0
    assert client.get("/workspace/fairs/Nowhere").status_code == 404


def test_multipart_fields_reads_a_browsers_form() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="fair"\r\n\r\nM\xc3\xbcnchen\r\n'
        b'--b\r\nContent-Disposition: form-data; name="scans"; filename="s.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\na;b\r\n1;2\r\n--b--\r\n"
    )
    fields = multipart_fields("multipart/form-data; boundary=b", body)
    assert fields == {"fair": "München".encode(), "scans": b"a;b\r\n1;2"}
    assert multipart_fields("application/x-www-form-urlencoded", b"a=1") == {}


def test_a_rep_bound_to_territories_sees_and_counts_their_leads_alone(
    tmp_path: Path, store: Store, clock: Clock
) -> None:
    # three visitors the CRM knows, in the north; the other seventeen new, of no territory
    emails = [
        "jonas.becker@becker-intralogistik.de", "aylin.yilmaz@nordwerk.de",
        "s.martin@groupe-lumiere.fr",
    ]  # fmt: skip
    north = ["N-1", "N-2", "N-3"]
    known = pd.DataFrame(
        {"customer_id": north, "created_at": pd.Timestamp("2026-01-01", tz="UTC")}
    ).assign(email=emails, country="Nord")
    store.put_customers(known, now=clock.now)
    client = client_of(tmp_path, store, clock)  # anna sees every lead: no territories
    assert upload(client, EXAMPLE.read_bytes()).status_code == 303
    put_user(tmp_path / "users.yaml", "ben", "ben-password", territories=("Nord",))
    ben = TestClient(client.app, follow_redirects=False)
    sign_in(ben, "ben", "ben-password")
    assert re.search(r'class="scanned">20<', client.get("/workspace/fairs").text)
    assert re.search(r'class="scanned">3<', ben.get("/workspace/fairs").text)
    page = ben.get(f"/workspace/fairs/{FAIR}").text
    assert sorted(re.findall(r'href="/workspace/leads/([^"]+)"', page)) == north
    # a scan file names leads of every territory: a rep bound to some imports none
    assert 'id="scan-file"' not in page
    events = store.count("events")
    refused = ben.post(
        "/workspace/fairs",
        data={"csrf": csrf(ben, "/workspace/fairs"), "fair": "Süd-Messe"},
        files={"scans": ("scans.csv", EXAMPLE.read_bytes(), "text/csv")},
    )
    assert refused.status_code == 403 and store.count("events") == events
