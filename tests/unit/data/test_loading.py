"""Loading and validation: bad rows are named, quarantined and counted, never lost."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded, write_quarantine
from leadscore.data.source_config import canonical_source, load_source_config, resolve_source
from leadscore.synthetic import GeneratedCRM
from tests.conftest import NOW, read_table


def _csv_copy(crm: GeneratedCRM, directory: Path, *, events: int = 400) -> dict[str, pd.DataFrame]:
    """The CRM as CSV files (events cut short), returned as string frames to corrupt."""
    directory.mkdir()
    tables = {}
    for name in ("offers", "customers", "outcomes"):
        tables[name] = read_table(crm.directory, name).astype("str")
    tables["events"] = read_table(crm.directory, "events").head(events).astype("str")
    for name, frame in tables.items():
        frame.to_csv(directory / f"{name}.csv", index=False)
    return tables


def test_generated_crm_loads_without_problems(small_crm: GeneratedCRM) -> None:
    result = load_source(canonical_source(small_crm.directory), now=NOW)
    assert result.ok, result.problems[:5]
    data = require_loaded(result)
    assert {r.table: r.read for r in result.reports} == {
        "offers": 7,
        "customers": 1_500,
        "events": small_crm.events,
        "outcomes": small_crm.purchases,
        "exposures": len(read_table(small_crm.directory, "exposures")),
    }
    assert len(data.exposures) > 1_000 and data.exposures["propensity"].between(0, 1).all()
    assert all(r.rejected == 0 and r.reconciles for r in result.reports)
    assert str(data.events["ts"].dtype) == "datetime64[us, UTC]"
    assert isinstance(data.events["event_type"].dtype, pd.CategoricalDtype)
    assert isinstance(data.customers["industry"].dtype, pd.CategoricalDtype)


def test_the_data_as_it_stood_at_a_moment(small_crm: GeneratedCRM) -> None:
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    moment = data.events["ts"].quantile(0.8)
    then = data.up_to(moment)
    assert then.customers["created_at"].max() <= moment < data.customers["created_at"].max()
    for name in ("events", "outcomes", "exposures"):
        whole = data.table(name)
        assert then.table(name)["ts"].max() <= moment
        assert len(then.table(name)) == int((whole["ts"] <= moment).sum()) < len(whole)
    assert then.offers is data.offers and len(data.events) == small_crm.events  # untouched


def test_corrupted_copy_names_every_problem_and_quarantines_the_rows(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad")
    events = tables["events"]
    events.loc[3, "ts"] = "last tuesday"  # wrong type
    events.loc[5, "value"] = "12,50"  # wrong type
    events.loc[7, "ts"] = "2031-01-01T00:00:00Z"  # future
    events.loc[9, "offer_id"] = "O-UNKNOWN"  # unknown offer id
    events.loc[11, "customer_id"] = "C-9999999"  # unknown customer
    events = pd.concat([events, events.iloc[[20, 21]]], ignore_index=True)  # duplicates
    events.to_csv(tmp_path / "bad" / "events.csv", index=False)
    customers = tables["customers"].drop(columns=["created_at"])  # missing column
    customers.to_csv(tmp_path / "bad" / "customers.csv", index=False)

    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)

    assert result.data is None, "a table without a required column cannot be loaded"
    (missing,) = result.table_problems
    assert missing.file.endswith("customers.csv") and missing.column == "created_at"
    assert "rename" in missing.fix
    with pytest.raises(InputError, match=r"customers\.csv"):
        require_loaded(result)


def test_row_problems_are_rejected_with_reasons_and_counts_reconcile(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad")
    events = tables["events"]
    events.loc[3, "ts"] = "last tuesday"
    events.loc[5, "value"] = "12,50"
    events.loc[7, "ts"] = "2031-01-01T00:00:00Z"
    events.loc[9, "offer_id"] = "O-UNKNOWN"
    events.loc[11, "customer_id"] = "C-9999999"
    events = pd.concat([events, events.iloc[[20, 21]]], ignore_index=True)
    events.to_csv(tmp_path / "bad" / "events.csv", index=False)

    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)
    found = {(p.column, p.row, p.check) for p in result.problems}

    assert found == {
        ("ts", 4, "type_timestamp"),
        ("value", 6, "type_float"),
        ("ts", 8, "not_in_future"),
        ("offer_id", 10, "known_offer"),
        ("customer_id", 12, "known_customer"),
        ("(whole row)", 401, "multiple_fields_uniqueness"),
        ("(whole row)", 402, "multiple_fields_uniqueness"),
    }
    report = {r.table: r for r in result.reports}["events"]
    assert (report.read, report.accepted, report.rejected) == (402, 395, 7)
    assert report.reconciles
    assert all(p.file.endswith("events.csv") and p.fix for p in result.problems)

    written = write_quarantine(result, tmp_path / "quarantine")
    rejected = pd.read_csv(tmp_path / "quarantine" / "events.rejected.csv")
    assert tmp_path / "quarantine" / "events.rejected.csv" in written
    assert rejected["_row"].tolist() == [4, 6, 8, 10, 12, 401, 402]
    assert rejected.loc[0, "ts"] == "last tuesday", "quarantine keeps the original value"
    assert "future" in rejected.loc[2, "_reason"]


def test_rejected_customer_takes_its_events_along(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad")
    first = tables["events"].loc[0, "customer_id"]
    customers = tables["customers"]
    customers.loc[customers["customer_id"] == first, "created_at"] = "not a date"
    customers.to_csv(tmp_path / "bad" / "customers.csv", index=False)

    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)
    reports = {r.table: r for r in result.reports}
    orphaned = (tables["events"]["customer_id"] == first).sum()
    assert reports["customers"].rejected == 1
    assert reports["events"].rejected == orphaned > 0
    assert all(r.reconciles for r in result.reports)


def test_duplicate_customer_ids_keep_the_first(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad")
    customers = pd.concat([tables["customers"], tables["customers"].iloc[[0]]], ignore_index=True)
    customers.loc[len(customers) - 1, "industry"] = "retail"  # same id, other content
    customers.to_csv(tmp_path / "bad" / "customers.csv", index=False)
    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)
    (problem,) = [p for p in result.problems if p.table == "customers"]
    assert (problem.row, problem.check) == (len(customers), "field_uniqueness")


def test_event_before_the_customer_existed_is_rejected_beyond_tolerance(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad")
    events = tables["events"]
    customers = tables["customers"].set_index("customer_id")
    created = pd.Timestamp(customers.loc[events.loc[0, "customer_id"], "created_at"])
    events.loc[0, "ts"] = (created - pd.Timedelta(hours=12)).isoformat()  # within a day
    events.loc[1, "ts"] = (created - pd.Timedelta(days=3)).isoformat()  # beyond
    events.to_csv(tmp_path / "bad" / "events.csv", index=False)
    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)
    assert [(p.row, p.check) for p in result.problems] == [(2, "not_before_customer_created_at")]


def test_unknown_offer_kind_and_negative_value(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    tables = _csv_copy(small_crm, tmp_path / "bad", events=0)
    offers = tables["offers"]
    offers.loc[0, "kind"] = "service"
    offers.loc[1, "value"] = "-5"
    offers.to_csv(tmp_path / "bad" / "offers.csv", index=False)
    result = load_source(canonical_source(tmp_path / "bad"), now=NOW)
    offer_problems = {(p.row, p.check) for p in result.problems if p.table == "offers"}
    assert offer_problems == {(1, "known_offer_kind"), (2, "non_negative")}
    # outcomes of the rejected offers are rejected in turn, and say why
    rejected_offers = offers.loc[[0, 1], "offer_id"]
    expected = tables["outcomes"]["offer_id"].isin(rejected_offers).sum()
    assert expected > 0
    outcome_problems = [p for p in result.problems if p.table == "outcomes"]
    assert len(outcome_problems) == expected
    assert {p.check for p in outcome_problems} == {"rejected_offer"}
    # each names the offers row to fix, not "not in the offers table"
    row_of = {offers.loc[0, "offer_id"]: 1, offers.loc[1, "offer_id"]: 2}
    assert all(
        p.message == f"its offer was rejected (offers, row {row_of[p.value]})"
        for p in outcome_problems
    )


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("name: x\ntables: {}\n", "customers"),
        ("name: x\ntimezone: Mars/Olympus\ntables: {customers: {path: a.csv}}\n", "time zone"),
        ("name: x\ntables: {customers: {path: a.xls}}\n", "cannot tell the format of .a.xls."),
        ("name: x\ntables: {leads: {path: a.csv}}\n", "unknown table"),
        ("name: x\ntables: {customers: {path: a.csv, renmae: {}}}\n", "renmae"),
        ("- just\n- a list\n", "mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_source_config_says_file_and_field(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "source.yaml"
    path.write_text(yaml_text)
    with pytest.raises(InputError, match=message) as info:
        load_source_config(path)
    assert str(path) in str(info.value)


def test_missing_data_file_is_a_table_problem(tmp_path: Path) -> None:
    (tmp_path / "source.yaml").write_text(
        "name: x\n"
        "tables: {customers: {path: nowhere.csv}}\n"
        "label: {kind: flag, column: y, positive: [1]}\n"
    )
    result = load_source(load_source_config(tmp_path / "source.yaml"), now=NOW)
    (problem,) = result.problems
    assert problem.file.endswith("nowhere.csv") and "not found" in problem.message


def test_resolve_source_rejects_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such"):
        resolve_source(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match=r"customers\.parquet"):
        resolve_source(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="canonical layout"):
        resolve_source(tmp_path / "notes.txt")


def test_rows_alike_but_for_their_own_event_id_are_two_events(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    pd.DataFrame({"customer_id": ["C-1"], "created_at": ["2026-01-01T00:00:00Z"]}).to_csv(
        source / "customers.csv", index=False
    )
    moment = "2026-02-01T10:00:00Z"
    pd.DataFrame(
        {
            "customer_id": ["C-1"] * 3,
            "ts": [moment] * 3,
            "event_type": ["page_view"] * 3,
            "event_id": ["a-1", "a-2", "a-2"],  # two page views in one second, one repeated
        }
    ).to_csv(source / "events.csv", index=False)
    result = load_source(canonical_source(source), now=NOW)
    [report] = [r for r in result.reports if r.table == "events"]
    assert (report.read, report.accepted) == (3, 2)
    assert [p.message for p in result.problems] == [
        "duplicate row: an identical row came earlier and is kept"
    ]
