"""The rejected rows of a table: each with its original values and the reasons it was
rejected, and the problems that reject every row of a table lacking required columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.data.problems import Problem


def missing_columns_problems(
    file: str, table: str, missing: list[str], raw: pd.DataFrame
) -> list[Problem]:
    """One problem for the table, and every row rejected for it, so the counts add up."""
    available = ", ".join(map(str, raw.columns[:20]))
    fix = (
        f"add the column(s), or map yours with 'rename: {{your_column: {missing[0]}}}' in "
        "the source config"
    )
    if len(raw.columns) == 1 and any(sep in str(raw.columns[0]) for sep in ";\t|"):
        fix += "; the header looks like one column: set the separator, e.g. read: {sep: ';'}"
    message = f"required column(s) {missing} missing (file has: {available})"
    column = ", ".join(missing)
    whole = Problem(file, table, column, None, None, "required_columns", message, fix)
    row_message = f"not loaded: its table lacks the required column(s) {missing}"
    per_row = [
        Problem(file, table, column, int(i) + 1, None, "table_unusable", row_message, fix)
        for i in raw.index
    ]
    return [whole, *per_row]


def quarantine_rows(raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Each rejected row with its original values (none for unreadable rows) and reasons.

    Reasons are categories: a million rows rejected for the same reason hold one string.
    """
    located = [p for p in problems if p.row is not None]
    texts: dict[str, int] = {}  # reason text -> code
    code_of: dict[tuple[str | None, str], int] = {}

    def code(problem: Problem) -> int:
        key = (problem.column, problem.message)
        if key not in code_of:
            code_of[key] = texts.setdefault(f"{key[0]}: {key[1]}", len(texts))
        return code_of[key]

    rows = np.fromiter((p.row - 1 for p in located), np.int64, len(located))
    codes = np.fromiter((code(p) for p in located), np.int64, len(located))
    order = np.argsort(rows, kind="stable")
    rows, codes = rows[order], codes[order]
    unique_rows, first, counts = np.unique(rows, return_index=True, return_counts=True)
    reason_codes = codes[first].copy()
    names = list(texts)
    for i in np.flatnonzero(counts > 1):  # rows with several reasons, joined one by one
        joined = "; ".join(names[c] for c in codes[first[i] : first[i] + counts[i]])
        reason_codes[i] = texts.setdefault(joined, len(texts))
        if reason_codes[i] == len(names):
            names.append(joined)
    values = raw.reindex(pd.Index(unique_rows, dtype="int64"))
    out = pd.DataFrame(
        {
            c: values[c]
            if values[c].dtype == "str"
            else values[c].astype("str").where(values[c].notna())
            for c in values.columns
        },
        index=values.index,
    )
    out.insert(0, "_reason", pd.Categorical.from_codes(reason_codes, categories=names))
    out.insert(0, "_row", unique_rows + 1)
    return out.reset_index(drop=True)
