"""How a source's files are written: formats from file names, and the read_csv options a
table may set itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.data.formats import check_read_options, file_format


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("leads.csv", "csv"),
        ("leads.TSV", "csv"),
        ("leads.csv.gz", "csv"),
        ("events.ndjson.bz2", "jsonl"),
        ("offers.pq", "parquet"),
        ("leads.xlsx", "xlsx"),
        ("leads.xls", None),
        ("leads", None),
    ],
)
def test_the_format_a_file_name_means(name: str, expected: str | None) -> None:
    assert file_format(Path(name)) == expected


def test_read_options_leadscore_sets_itself_name_their_own_key() -> None:
    assert check_read_options({"sep": ";", "skiprows": 2}) == {"sep": ";", "skiprows": 2}
    with pytest.raises(ValueError, match=r"numbers: \{decimal: ','\}"):
        check_read_options({"decimal": ","})
    with pytest.raises(ValueError, match=r"not an option of pandas\.read_csv"):
        check_read_options({"seperator": ";"})
