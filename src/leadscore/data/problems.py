"""Problems found in input data, and how they are summarised for a person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, precise enough to find and fix it.

    ``row`` is the 1-based data row of the file (header not counted: CSV line ``row + 1``);
    it is ``None`` for problems of a whole table or column.
    """

    file: str
    table: str
    column: str | None
    row: int | None
    value: str | None
    check: str
    message: str
    fix: str

    @property
    def rejects_whole_table(self) -> bool:
        return self.row is None


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one kind in one column of one file, for a readable summary."""

    file: str
    column: str | None
    check: str
    count: int
    rows: tuple[int, ...]
    example_value: str | None
    message: str
    fix: str


def group_problems(problems: Iterable[Problem], *, sample_rows: int = 5) -> list[ProblemGroup]:
    """Fold row-level problems of the same kind into one line with their first rows."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.table, p.column, p.check), []).append(p)
    out = []
    for (file, _table, column, check), members in groups.items():
        rows = sorted(p.row for p in members if p.row is not None)
        out.append(
            ProblemGroup(
                file=file,
                column=column,
                check=check,
                count=len(members),
                rows=tuple(rows[:sample_rows]),
                example_value=members[0].value,
                message=members[0].message,
                fix=members[0].fix,
            )
        )
    return out


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Every problem as one row, for a CSV report."""
    listed = list(problems)
    columns = {name: [getattr(p, name) for p in listed] for name in Problem.__dataclass_fields__}
    frame = pd.DataFrame(columns)
    # repeated texts as categories; row 2, not 2.0, where some problems have none
    repeated = ["file", "table", "column", "check", "message", "fix"]
    return frame.astype({"row": "Int64", **dict.fromkeys(repeated, "category")})


def write_problems(problems: list[Problem], path: Path, *, chunk_rows: int = 100_000) -> None:
    """Every problem as one CSV row, written a chunk at a time (a million problems do not
    become one frame of a million rows)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, max(len(problems), 1), chunk_rows):
            chunk = problems_frame(problems[start : start + chunk_rows])
            chunk.to_csv(handle, index=False, header=start == 0)
