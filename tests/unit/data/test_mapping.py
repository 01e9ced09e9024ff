"""A source's columns mapped onto the canonical ones: renamed, typed, numbered, spread
over time, and a flag column turned into the label."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import load_source_config
from tests.conftest import NOW


def _flat_source(tmp_path: Path, rows: str, extra: str = "") -> Path:
    (tmp_path / "leads.csv").write_text(rows)
    config = tmp_path / "source.yaml"
    config.write_text(
        "name: flat\n"
        "timezone: Europe/Berlin\n"
        "max_rejected_share: 0.5\n"
        "tables:\n"
        "  customers:\n"
        "    path: leads.csv\n"
        "    read: {sep: ';'}\n"
        "    rename: {lead: customer_id, since: created_at}\n"
        "    types: {employees: int}\n"
        "label: {kind: flag, column: won, positive: ['yes'], negative: ['no']}\n" + extra
    )
    return config


def test_flat_lead_table_with_flag_label_and_local_time(tmp_path: Path) -> None:
    config = _flat_source(
        tmp_path,
        "lead;since;employees;sector;score;won\n"
        "L1;2024-03-31 01:30:00;12;retail;0.5;yes\n"
        "L2;2024-07-01 12:00:00+00:00;250;;1.5;no\n"
        "L3;2024-07-02 08:00:00;many;finance;2;no\n"
        "L4;2024-07-03 08:00:00;40;finance;3;maybe\n",
    )
    result = load_source(load_source_config(config), now=NOW)
    assert {(p.row, p.column, p.check) for p in result.problems} == {
        (3, "employees", "type_int"),
        (4, "converted", "not_nullable"),
    }
    customers = require_loaded(result).customers
    assert customers["customer_id"].tolist() == ["L1", "L2"]
    assert customers["converted"].tolist() == [True, False]
    # naive local times are read in the source's time zone (CET in March), offsets are kept
    assert customers["created_at"].iloc[0] == pd.Timestamp("2024-03-31 00:30:00", tz="UTC")
    assert customers["created_at"].iloc[1] == pd.Timestamp("2024-07-01 12:00:00", tz="UTC")
    assert str(customers["employees"].dtype) == "Int64"
    assert isinstance(customers["sector"].dtype, pd.CategoricalDtype)
    assert customers["score"].dtype == "float64"
    assert "won" not in customers.columns


def test_row_number_ids_and_time_sequence(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("age,y\n30,1\n40,0\n50,0\n")
    (tmp_path / "source.yaml").write_text(
        "name: seq\n"
        "tables:\n"
        "  customers:\n"
        "    path: leads.csv\n"
        "    customer_id: {row_number: {prefix: 'B-'}}\n"
        "    created_at: {sequence: {start: '2020-01-01', end: '2020-01-03'}}\n"
        "label: {kind: flag, column: y, positive: [1]}\n"
    )
    data = require_loaded(load_source(load_source_config(tmp_path / "source.yaml"), now=NOW))
    assert data.customers["customer_id"].tolist() == ["B-1", "B-2", "B-3"]
    assert data.customers["created_at"].dt.day.tolist() == [1, 2, 3]
    assert data.customers["converted"].tolist() == [True, False, False]


def test_a_label_column_the_file_lacks_is_named_unless_declared_optional(tmp_path: Path) -> None:
    rows = "lead;since;employees\nL1;2024-03-01 09:00:00;12\nL2;2024-03-02 09:00:00;40\n"
    config = _flat_source(tmp_path, rows)
    with pytest.raises(InputError, match=r"leads\.csv: no column 'won'.*'customer_id'"):
        load_source(load_source_config(config), now=NOW)
    text = config.read_text().replace("negative: ['no']}", "negative: ['no'], optional: true}")
    config.write_text(text)
    customers = require_loaded(load_source(load_source_config(config), now=NOW)).customers
    assert customers["converted"].isna().all()  # not known yet, not "unconverted"
