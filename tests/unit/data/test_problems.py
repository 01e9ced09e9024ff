"""Problems in input data: grouped for a person, listed in full for a CSV report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.data.problems import Problem, group_problems, problems_frame, write_problems


def _problem(
    row: int | None, *, column: str | None = "ts", check: str = "parse", value: str | None = None
) -> Problem:
    return Problem(
        file="events.csv",
        table="events",
        column=column,
        row=row,
        value=value if value is not None else f"bad{row}",
        check=check,
        message=f"{column} does not {check}",
        fix="send ISO 8601",
    )


def test_only_a_problem_without_a_row_rejects_the_whole_table() -> None:
    assert _problem(None).rejects_whole_table
    assert not _problem(3).rejects_whole_table


def test_problems_of_one_kind_in_one_column_fold_into_one_group_with_their_first_rows() -> None:
    problems = [_problem(row) for row in (9, 2, 7, 4, 8, 3, 5)] + [
        _problem(1, column="value"),
        _problem(6, check="future"),
    ]
    groups = group_problems(problems, sample_rows=3)
    assert [(g.column, g.check, g.count) for g in groups] == [
        ("ts", "parse", 7),
        ("value", "parse", 1),
        ("ts", "future", 1),
    ]
    first = groups[0]
    assert first.rows == (2, 3, 4)  # the first rows in order, not as they came
    assert first.example_value == "bad9"  # the first one that came
    assert (first.file, first.message, first.fix) == (
        "events.csv",
        "ts does not parse",
        "send ISO 8601",
    )


def test_a_group_of_whole_table_problems_names_no_rows() -> None:
    (group,) = group_problems(
        [_problem(None, column=None, check="missing"), _problem(None, column=None, check="missing")]
    )
    assert group.count == 2
    assert group.rows == ()


def test_the_frame_has_one_row_per_problem_and_whole_row_numbers() -> None:
    frame = problems_frame([_problem(2), _problem(None, column=None, check="missing")])
    assert list(frame.columns) == list(Problem.__dataclass_fields__)
    assert frame["row"].dtype == "Int64"
    assert frame["row"].iat[0] == 2 and frame["row"].isna().iat[1]
    assert isinstance(frame["check"].dtype, pd.CategoricalDtype)


def test_the_written_report_is_every_problem_under_one_header_across_chunks(tmp_path: Path) -> None:
    problems = [_problem(row) for row in range(1, 8)] + [
        _problem(None, column=None, check="missing")
    ]
    path = tmp_path / "problems.csv"
    write_problems(problems, path, chunk_rows=3)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(Problem.__dataclass_fields__)
    assert len(lines) == 1 + len(problems)
    back = pd.read_csv(path, dtype={"row": "Int64"})
    assert back["row"].tolist()[:7] == list(range(1, 8))
    assert pd.isna(back["row"].iat[7])
    assert ",2,bad2," in lines[2]  # row 2, not 2.0


def test_no_problems_write_an_empty_report(tmp_path: Path) -> None:
    path = tmp_path / "problems.csv"
    write_problems([], path)
    assert path.exists()
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 1
