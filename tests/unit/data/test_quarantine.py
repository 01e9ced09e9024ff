"""Rejected rows keep their original values and say every reason they were rejected."""

from __future__ import annotations

import pandas as pd

from leadscore.data.problems import Problem
from leadscore.data.quarantine import missing_columns_problems, quarantine_rows


def _problem(row: int | None, column: str, message: str) -> Problem:
    return Problem("leads.csv", "customers", column, row, None, "check", message, "fix it")


def test_each_rejected_row_once_with_its_reasons_joined() -> None:
    raw = pd.DataFrame({"customer_id": ["A", "B", "C"], "employees": [1.0, None, 3.0]})
    problems = [
        _problem(3, "employees", "not a number"),
        _problem(1, "customer_id", "duplicate"),
        _problem(3, "customer_id", "duplicate"),
        _problem(None, "employees", "a problem of the whole column"),
    ]
    rows = quarantine_rows(raw, problems)
    assert rows["_row"].tolist() == [1, 3]
    assert rows["_reason"].tolist() == [
        "customer_id: duplicate",
        "employees: not a number; customer_id: duplicate",
    ]
    assert rows["customer_id"].tolist() == ["A", "C"]
    assert rows["employees"].tolist() == ["1.0", "3.0"]  # as text, as the file had it


def test_a_table_without_its_required_columns_rejects_every_row() -> None:
    raw = pd.DataFrame({"lead;since": ["L1;2026-01-01", "L2;2026-01-02"]})
    whole, *per_row = missing_columns_problems("leads.csv", "customers", ["customer_id"], raw)
    assert whole.row is None and whole.check == "required_columns"
    assert "set the separator" in whole.fix  # one column whose name holds ';'
    assert [p.row for p in per_row] == [1, 2]
    assert all(p.check == "table_unusable" for p in per_row)
