"""Pandera schemas for the canonical tables and the translation of their failures.

Each schema is built for one load, because some checks depend on other tables (known
customers and offers) and on the moment of loading (no timestamps from the future).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pandera.pandas as pa

from leadscore.data.problems import Problem
from leadscore.data.tables import OFFER_KINDS

FUTURE_SKEW = pd.Timedelta(minutes=5)


def posted_future_fix(timezone: str) -> str:
    """What a sender over HTTP is told of a time ahead: the zone its times without an
    offset were read in (the service's LEADSCORE_TIMEZONE), and how to say its own."""
    return (
        f"a time without an offset is read in {timezone} (LEADSCORE_TIMEZONE): send it with "
        "its offset (2026-12-07T09:30:00+01:00) or in UTC (2026-12-07T08:30:00Z), or start "
        "the service with LEADSCORE_TIMEZONE set to the zone the sender writes in "
        "(Europe/Berlin)"
    )


ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Reference:
    """What the checks of one table need to know about the rest of the source."""

    now: pd.Timestamp
    customer_created_at: pd.Series | None = None  # accepted customers: id -> created_at
    offer_ids: frozenset[str] | None = None
    created_at_tolerance: pd.Timedelta = ONE_DAY
    # ids of rejected rows -> their row in their file: why a dependent row is unknown
    rejected_customers: dict[str, int] | None = None
    rejected_offers: dict[str, int] | None = None


# check name -> (message, fix); the name is what pandera reports in failure_cases.
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "not_nullable": ("value is missing", "fill the value or drop the row at the source"),
    "field_uniqueness": (
        "duplicate id: the first row with this id is kept",
        "remove the duplicate rows or give each row its own id",
    ),
    "multiple_fields_uniqueness": (
        "duplicate row: an identical row came earlier and is kept",
        "remove the repeated rows (often a double export or double tracking)",
    ),
    "not_in_future": (
        "timestamp lies in the future",
        "check the time zone in the source config and the clock of the exporting system",
    ),
    "known_customer": (
        "customer_id is not among the accepted customers",
        "add the customer to the customers table, or fix the id (it may have been rejected)",
    ),
    "known_offer": (
        "offer_id is not in the offers table",
        "add the offer to the offers table or correct the id",
    ),
    "known_offer_kind": (
        f"kind must be one of {list(OFFER_KINDS)}",
        "set kind to 'product' (something to sell) or 'nurture' (content for a lead)",
    ),
    "non_negative": ("value must not be negative", "use the offer's value in money, 0 or more"),
    "cost_non_negative": (
        "cost must not be negative",
        "use what making the offer once costs, in money, 0 or more",
    ),
    "valid_days_positive": (
        "valid_days must be more than 0",
        "give how many days an offer made can be taken up, or leave it empty",
    ),
    "propensity_in_range": (
        "propensity must lie in (0, 1]",
        "give the probability with which the sending policy chose this offer, or leave "
        "it empty (a logged 0 means the offer could not have been made)",
    ),
    "not_before_customer_created_at": (
        "timestamp lies before its customer's created_at, by more than the tolerance",
        "check the customer's created_at and the time zones of both tables, or raise "
        "created_at_tolerance_days in the source config if such lags are normal",
    ),
}


def _element_check(name: str, fn: Callable[[pd.Series], pd.Series]) -> pa.Check:
    return pa.Check(fn, name=name, error=name, ignore_na=True)


def _not_in_future(ref: Reference) -> pa.Check:
    limit = ref.now + FUTURE_SKEW
    return _element_check("not_in_future", lambda s: s <= limit)


def _id_column(ref_ids: pd.Index | None) -> pa.Column:
    checks = []
    if ref_ids is not None:
        checks.append(_element_check("known_customer", lambda s: s.isin(ref_ids)))
    return pa.Column(nullable=False, checks=checks)


def _offer_column(ref: Reference, *, nullable: bool = True) -> pa.Column:
    checks = []
    if ref.offer_ids is not None:
        known = ref.offer_ids
        checks.append(_element_check("known_offer", lambda s: s.isin(known)))
    return pa.Column(nullable=nullable, checks=checks, required=False)


def _after_created_check(ref: Reference) -> pa.Check:
    created = ref.customer_created_at
    tolerance = ref.created_at_tolerance

    def after_created(df: pd.DataFrame) -> pd.Series:
        start = lookup(df["customer_id"], created) - tolerance
        return ~(df["ts"] < start).fillna(False).astype(bool)

    return pa.Check(
        after_created,
        name="not_before_customer_created_at",
        error="not_before_customer_created_at",
    )


def lookup(keys: pd.Series, mapping: pd.Series) -> pd.Series:
    """``mapping[key]`` for each key (NaT/NaN where unknown), fast for categorical keys."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        per_category = mapping.reindex(keys.cat.categories.astype("str"))
        codes = keys.cat.codes.to_numpy()
        picked = per_category.iloc[np.where(codes >= 0, codes, 0)].reset_index(drop=True)
        picked[codes < 0] = None
        return picked.set_axis(keys.index)
    return keys.map(mapping)


def table_schema(table: str, columns: list[str], ref: Reference) -> pa.DataFrameSchema:
    """The schema for one canonical table as loaded, given what the rest of the source holds."""
    customer_ids = None if ref.customer_created_at is None else ref.customer_created_at.index
    if table == "offers":
        cols = {
            "offer_id": pa.Column(nullable=False, unique=True, report_duplicates="exclude_first"),
            "name": pa.Column(nullable=False),
            "kind": pa.Column(
                nullable=False,
                checks=_element_check("known_offer_kind", lambda s: s.isin(OFFER_KINDS)),
            ),
            "value": pa.Column(
                nullable=False, checks=_element_check("non_negative", lambda s: s >= 0)
            ),
        }
        if "cost" in columns:
            cols["cost"] = pa.Column(
                nullable=True, checks=_element_check("cost_non_negative", lambda s: s >= 0)
            )
        if "reward" in columns:
            cols["reward"] = pa.Column(
                nullable=True, checks=_element_check("reward_non_negative", lambda s: s >= 0)
            )
        if "valid_days" in columns:
            cols["valid_days"] = pa.Column(
                nullable=True, checks=_element_check("valid_days_positive", lambda s: s > 0)
            )
        return pa.DataFrameSchema(cols)
    if table == "customers":
        cols = {
            "customer_id": pa.Column(
                nullable=False, unique=True, report_duplicates="exclude_first"
            ),
            "created_at": pa.Column(nullable=False, checks=_not_in_future(ref)),
        }
        if "converted" in columns:
            cols["converted"] = pa.Column(nullable=False)
        return pa.DataFrameSchema(cols)
    # events, outcomes and exposures: behaviour over time, tied to customers and offers
    cols = {
        "customer_id": _id_column(customer_ids),
        "ts": pa.Column(nullable=False, checks=_not_in_future(ref)),
        "offer_id": _offer_column(ref, nullable=table != "exposures"),
    }
    if table == "events":
        cols["event_type"] = pa.Column(nullable=False)
    if table == "exposures" and "propensity" in columns:
        cols["propensity"] = pa.Column(
            nullable=True,
            checks=_element_check("propensity_in_range", lambda s: (s > 0) & (s <= 1)),
        )
    checks = [] if ref.customer_created_at is None else [_after_created_check(ref)]
    return pa.DataFrameSchema(
        cols, checks=checks, unique=columns, report_duplicates="exclude_first"
    )


def schema_problems(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    *,
    file: str,
    table: str,
    ref: Reference | None = None,
) -> list[Problem]:
    """Run a schema lazily and turn every failure into a row-level Problem.

    The frame's index must be the 0-based data row of the source file. With ``ref``, a row
    whose customer or offer was itself rejected says so, naming that row.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = _failure_problems(exc.failure_cases, frame, file=file, table=table)
        return problems if ref is None else [_cascaded(p, ref) for p in problems]
    return []


def _cascaded(problem: Problem, ref: Reference) -> Problem:
    """An unknown id that was in its file but rejected there: say which row to fix."""
    rejected, table = {
        "known_offer": (ref.rejected_offers, "offers"),
        "known_customer": (ref.rejected_customers, "customers"),
    }.get(problem.check, (None, ""))
    if not rejected or problem.value not in rejected:
        return problem
    what = "offer" if table == "offers" else "customer"
    row = rejected[problem.value]
    return replace(
        problem,
        check=f"rejected_{what}",
        message=f"its {what} was rejected ({table}, row {row})",
        fix=f"fix row {row} of the {table} table; this row is then accepted with it",
    )


def _failure_problems(
    cases: pd.DataFrame, frame: pd.DataFrame, *, file: str, table: str
) -> list[Problem]:
    cases = cases.dropna(subset=["index"])
    problems: dict[tuple[int, str], Problem] = {}
    for case in cases.itertuples(index=False):
        check = _check_key(str(case.check))
        row = int(case.index)
        column = _blamed_column(check, str(case.column), table)
        if (row, check) in problems:  # frame-wide checks report every column; keep one
            continue
        message, fix = EXPLANATIONS.get(check, (f"failed check {check}", "correct the value"))
        value = frame.at[row, column] if column in frame.columns else None
        problems[(row, check)] = Problem(
            file=file,
            table=table,
            column=column,
            row=row + 1,
            value=None if pd.isna(value) else str(value),
            check=check,
            message=message,
            fix=fix,
        )
    return list(problems.values())


def _check_key(check: str) -> str:
    return check.split("(", 1)[0]


def _blamed_column(check: str, column: str, table: str) -> str:
    if check == "not_before_customer_created_at":
        return "ts"
    if check == "multiple_fields_uniqueness":
        return "(whole row)"
    return column
