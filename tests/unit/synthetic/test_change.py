"""The injected change: from its date on, a new lead source, one segment far more active
on the web and in e-mail, and a lull; before it, leads as they would have been."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.synthetic.config import InjectedChange
from tests.conftest import read_table

END = date(2026, 6, 29)
AFTER = END - timedelta(weeks=6)
WEB_AND_EMAIL = {"page_view", "pricing_page_view", "product_page_view", "download"}


@pytest.fixture(scope="module")
def crms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = {"customers": 3_000, "seed": 8, "truth_customers": 500, "end": END}
    out = tmp_path_factory.mktemp("change")
    generate_crm(SyntheticConfig(**base), out / "same")
    generate_crm(SyntheticConfig(**base, change=InjectedChange(after=AFTER)), out / "changed")
    return {"same": out / "same", "changed": out / "changed"}


def _web_per_week(directory: Path, *, retail: bool, since: date, until: date) -> float:
    """Web events a week of the retail (or the other) leads created before ``since``."""
    customers = read_table(directory, "customers")
    start = pd.Timestamp(since, tz="UTC")
    old = customers[customers["created_at"] < start]
    members = old[(old["industry"] == "retail") == retail]["customer_id"].astype(str)
    events = read_table(directory, "events")
    chosen = events[
        events["customer_id"].astype(str).isin(set(members))
        & events["event_type"].astype(str).isin(WEB_AND_EMAIL)
        & (events["ts"] >= start)
        & (events["ts"] < pd.Timestamp(until, tz="UTC"))
    ]
    return len(chosen) / len(members) / ((until - since).days / 7)


def test_only_leads_created_after_the_change_come_through_the_new_source(
    crms: dict[str, Path],
) -> None:
    customers = read_table(crms["changed"], "customers")
    new = customers["lead_source"].astype(str) == "partner_portal"
    late = customers["created_at"] >= pd.Timestamp(AFTER, tz="UTC")
    assert new.sum() > 0 and not (new & ~late).any()
    assert 0.2 < new[late].mean() < 0.4  # the default share, 0.3
    same = read_table(crms["same"], "customers")
    assert "partner_portal" not in set(same["lead_source"].astype(str))
    # leads are created as they would have been: the change touches their source alone
    assert customers["created_at"].equals(same["created_at"])


def test_the_segment_grows_more_active_while_everyone_else_lulls(crms: dict[str, Path]) -> None:
    before = {"since": AFTER - timedelta(weeks=6), "until": AFTER}
    after = {"since": AFTER, "until": END}
    ratio = {}
    for retail in (True, False):
        changed = _web_per_week(crms["changed"], retail=retail, **after)
        same = _web_per_week(crms["same"], retail=retail, **after)
        ratio[retail] = changed / same
        # before the change both worlds behave alike
        assert _web_per_week(crms["changed"], retail=retail, **before) == pytest.approx(
            _web_per_week(crms["same"], retail=retail, **before), rel=0.1
        )
    # the lull: 30 % of an average month where May and June would have been 1.00 and 0.95
    lull = 0.3 / 0.97
    assert ratio[False] == pytest.approx(lull, abs=0.06)
    assert ratio[True] == pytest.approx(3 * lull, abs=0.2)  # three times as active, in it


def test_a_change_outside_the_history_or_of_an_unknown_segment_is_refused() -> None:
    with pytest.raises(ValidationError, match="must lie inside the history"):
        SyntheticConfig(end=END, change=InjectedChange(after=END + timedelta(days=1)))
    with pytest.raises(ValidationError, match="choose one of manufacturing"):
        InjectedChange(after=AFTER, segment="mining")
    with pytest.raises(ValidationError, match="choose one of DE"):
        InjectedChange(after=AFTER, segment_field="country", segment="retail")
