"""Exposures (offers made) in the canonical model: from a file of their own or from an
event type; offers' cost and validity; bad rows named and counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source, load_source_config
from tests.conftest import NOW


def _write(directory: Path, **tables: str) -> Path:
    directory.mkdir(exist_ok=True)
    base = {
        "offers": "offer_id,name,kind,value,cost,valid_days\n"
        "O-A,Analytics,product,900,50,7\nO-B,Webinar,nurture,0,,\n",
        "customers": "customer_id,created_at\nC1,2025-01-01\nC2,2025-01-01\nC3,2025-01-01\n",
    }
    for name, text in {**base, **tables}.items():
        (directory / f"{name}.csv").write_text(text)
    return directory


def test_an_exposures_file_loads_with_its_propensities(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "ok",
        exposures="customer_id,ts,offer_id,channel,propensity\n"
        "C1,2025-02-01T10:00:00Z,O-A,email,0.25\n"
        "C2,2025-02-01T10:00:00Z,O-B,email,\n",  # propensity unknown: left empty
    )
    data = require_loaded(load_source(canonical_source(directory), now=NOW))
    assert data.exposures["offer_id"].tolist() == ["O-A", "O-B"]
    assert data.exposures["propensity"].iloc[0] == 0.25
    assert pd.isna(data.exposures["propensity"].iloc[1])
    assert data.offers.set_index("offer_id").loc["O-A", ["cost", "valid_days"]].tolist() == [50, 7]


def test_bad_exposures_and_offers_are_named_and_counted(tmp_path: Path) -> None:
    directory = _write(
        tmp_path / "bad",
        offers="offer_id,name,kind,value,cost,valid_days\n"
        "O-A,Analytics,product,900,-5,7\nO-B,Webinar,nurture,0,0,0\nO-C,Case,nurture,0,,3\n",
        exposures="customer_id,ts,offer_id,propensity\n"
        "C1,2025-02-01,O-C,0.5\n"
        "C1,2025-02-02,O-C,0\n"  # a logged 0: it could not have been made
        "C2,2025-02-02,O-X,0.5\n"  # not in the catalog
        "C3,2025-02-02,,0.5\n"  # no offer
        "C3,2025-02-03,O-C,1.5\n",
    )
    result = load_source(canonical_source(directory), now=NOW)
    reports = {r.table: (r.read, r.accepted, r.rejected) for r in result.reports}
    assert reports["offers"] == (3, 1, 2)
    assert reports["exposures"] == (5, 1, 4)  # read = accepted + rejected
    messages = {(p.table, p.row, p.column): p.message for p in result.problems}
    assert "cost must not be negative" in messages[("offers", 1, "cost")]
    assert "valid_days must be more than 0" in messages[("offers", 2, "valid_days")]
    assert "propensity must lie in (0, 1]" in messages[("exposures", 2, "propensity")]
    assert "propensity must lie in (0, 1]" in messages[("exposures", 5, "propensity")]
    assert "not in the offers table" in messages[("exposures", 3, "offer_id")]
    assert "missing" in messages[("exposures", 4, "offer_id")]


def test_exposures_from_an_event_type(tmp_path: Path) -> None:
    _write(
        tmp_path / "events",
        events="customer_id,ts,event_type,offer_id\n"
        "C1,2025-02-01,offer_received,O-A\n"
        "C1,2025-02-03,offer_completed,O-A\n"
        "C2,2025-02-01,offer_received,\n",  # names no offer: not an exposure
    )
    config = tmp_path / "source.yaml"
    config.write_text(
        "name: s\nexposure_event_type: offer_received\ntables:\n"
        + "".join(f"  {t}: {{path: events/{t}.csv}}\n" for t in ("offers", "customers", "events"))
    )
    result = load_source(load_source_config(config), now=NOW)
    data = require_loaded(result)
    assert data.exposures[["customer_id", "offer_id"]].astype("str").values.tolist() == [
        ["C1", "O-A"]
    ]
    assert any("1 of 2 'offer_received' events name no offer_id" in n for n in result.notes)
    assert any("1 offers made, read from the 'offer_received' events" in n for n in result.notes)


def test_exposures_given_twice_or_without_events_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "source.yaml"
    config.write_text(
        "name: s\nexposure_event_type: offer_received\nlabel: {kind: flag, column: x, "
        "positive: [1]}\ntables:\n  customers: {path: c.csv}\n  exposures: {path: e.csv}\n"
    )
    with pytest.raises(InputError, match="has an exposures table already; give one"):
        load_source_config(config)
    config.write_text(
        "name: s\nexposure_event_type: offer_received\nlabel: {kind: flag, column: x, "
        "positive: [1]}\ntables:\n  customers: {path: c.csv}\n"
    )
    with pytest.raises(InputError, match="needs an 'events' table"):
        load_source_config(config)
