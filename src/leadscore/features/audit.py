"""Leakage audit: features that predict the label too well, fields known only later, and
columns that name a lead rather than describe it.

Flags are measured, never read from a name. A feature whose single-feature AUC is close to
1 usually encodes the outcome (a status set when the deal closed, a call duration known
after the call); one that is merely strong on its own (a lead profile or a last activity
that sales fill in during contact) is worth checking that it is known before the outcome.
A name or values that read like a sales outcome only add to such a measured flag. Fields
the source config declares post-outcome are never features; the audit still measures
them, so a reader sees how much they would have leaked. An integer column with a value of
its own for (nearly) every lead is an id, not a feature: it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

DEFAULT_SUSPICIOUS_AUC = 0.85
# strong enough alone to ask when the field is recorded (bank marketing's best honest
# field, the number of employees, measures 0.75; Leads' "Last Notable Activity" 0.70)
DEFAULT_STRONG_AUC = 0.65
# a field missing this much more often in one class than in the other is recorded unevenly
MISSING_GAP = 0.5
# an integer column with this share of distinct values among leads (one value per lead)
# is an id (a lead number); below a few rows, distinct values say nothing
ID_SHARE = 0.95
ID_MIN_LEADS = 50
# ids are numbered: their values span at most this many times as many numbers as there
# are leads (the Leads data set's lead numbers: about 9), and beyond ID_CONSECUTIVE they
# must also follow the leads' order in time (numbered as they came in: a Spearman
# correlation of at least ID_ORDERED with the moment); a count or an amount spread evenly
# (employees 1-20,000 of 600 leads) follows no order and is kept
ID_SPAN = 100
ID_CONSECUTIVE = 2
ID_ORDERED = 0.9
ID_ACTION = "dropped: an id names a lead, it does not describe it"
# names and values that sales typically fill in during or after contact with the lead
_OUTCOME_WORDS = re.compile(
    r"(?<![a-z])(tags?|quality|status|stage|outcome|result|won|lost|closed?|reason|"
    r"disposition|converted|interested|not interested|qualified|rejected)(?![a-z])",
    re.IGNORECASE,
)


def single_feature_auc(values: pd.Series, label: np.ndarray) -> float:
    """AUC of one column alone (direction-free: 0.5 is useless, 1.0 gives the label away).

    One rule for every field: missing is a value of its own, placed where it separates the
    classes best (for numbers: below or above every present value).
    """
    if len(np.unique(label)) < 2:
        return float("nan")
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        as_text = values.astype("object").where(values.notna(), "(missing)").astype("str")
        score = pd.Series(label, index=values.index).groupby(as_text.to_numpy()).transform("mean")
        return _direction_free(roc_auc_score(label, score.to_numpy()))
    numbers = values.astype("float64")
    if numbers.isna().all():
        return 0.5
    low, high = numbers.min() - 1.0, numbers.max() + 1.0
    return max(
        _direction_free(roc_auc_score(label, numbers.fillna(filler).to_numpy()))
        for filler in (low, high)
    )


def _direction_free(auc: float) -> float:
    return float(max(auc, 1.0 - auc))


def _missing_gap(values: pd.Series, label: np.ndarray) -> tuple[float, float]:
    """The share of missing values among converted rows and among the others."""
    missing = values.isna().to_numpy()
    positive = label.astype(bool)
    if positive.all() or not positive.any():
        return 0.0, 0.0
    return float(missing[positive].mean()), float(missing[~positive].mean())


def _looks_like_an_outcome(name: str, values: pd.Series) -> bool:
    if _OUTCOME_WORDS.search(str(name).replace("_", " ")):
        return True
    if isinstance(values.dtype, pd.CategoricalDtype):
        return any(_OUTCOME_WORDS.search(str(c)) for c in values.cat.categories[:200])
    return False


def looks_like_an_id(
    values: pd.Series, leads: pd.Series | None = None, moments: pd.Series | None = None
) -> bool:
    """Whether a column is integers with one value per lead, nearly every lead its own,
    numbered rather than measured: nearly consecutive, or spanning a few numbers per lead
    and following the leads' ``moments`` (``leads``: the lead of each row, where a lead
    has several rows; else one per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        return False
    if pd.api.types.is_bool_dtype(values):
        return False
    present = values.notna().to_numpy()
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)[present]
    if not len(numbers) or not np.all(np.mod(numbers, 1) == 0):
        return False
    owners = np.arange(len(values))[present] if leads is None else leads.to_numpy()[present]
    pairs = pd.DataFrame({"lead": owners, "value": numbers}).drop_duplicates()
    count = pairs["lead"].nunique()
    if count < ID_MIN_LEADS or len(pairs) != count:  # a value that changes is no id
        return False
    distinct = pairs["value"].nunique()
    span = pairs["value"].max() - pairs["value"].min() + 1
    if distinct < ID_SHARE * count or span > ID_SPAN * distinct:
        return False
    if span <= ID_CONSECUTIVE * distinct:
        return True
    if moments is None:
        return False
    first = pd.DataFrame({"lead": owners, "at": moments.to_numpy()[present]})
    at = first.groupby("lead")["at"].min()
    order = pairs.set_index("lead")["value"].rank().corr(at.reindex(pairs["lead"]).rank())
    return bool(abs(order) >= ID_ORDERED)


def _suspicions(
    name: str, values: pd.Series, label: np.ndarray, auc: float, limits: tuple[float, float]
) -> str:
    """Why a feature may encode the outcome or wants checking, or '' when nothing measured
    suggests it (``limits``: the suspicious and the strong single-feature AUC)."""
    suspicious, strong = limits
    reasons = []
    if auc >= suspicious:
        reasons.append(f"single-feature AUC {auc:.3f} >= {suspicious}: may encode the outcome")
    elif auc >= strong:
        reasons.append(
            f"single-feature AUC {auc:.3f} >= {strong}: strong on its own: check it is known "
            "before the outcome"
        )
    in_positive, in_negative = _missing_gap(values, label)
    if abs(in_positive - in_negative) >= MISSING_GAP:
        reasons.append(
            f"missing in {in_positive:.0%} of converted rows and {in_negative:.0%} of the "
            "others: may be filled in only after contact"
        )
    if reasons and _looks_like_an_outcome(name, values):  # a name never flags alone
        reasons.append("its name or values read like a sales outcome (status, tags, quality)")
    return "; ".join(reasons)


def leakage_audit(
    frame: pd.DataFrame,
    features: Iterable[str],
    label: np.ndarray,
    *,
    post_outcome: pd.DataFrame | None = None,
    identifiers: Iterable[str] = (),
    suspicious_auc: float = DEFAULT_SUSPICIOUS_AUC,
    strong_auc: float = DEFAULT_STRONG_AUC,
    recorded: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per feature, post-outcome field and identifier column left out: its AUC
    (none for an identifier), whether it is flagged, why, and what was done: a feature
    that looks like an id is to be dropped (``action`` :data:`ID_ACTION`, see
    :func:`id_features`), the others are kept.

    ``recorded``: the features copied from the lead's record (None: every feature). Only
    they are checked for ids and for strength on their own: when a record's field was
    filled in is unknown, while the builder counts events strictly before each moment, so
    an event feature that is strong is simply a good one (on the synthetic CRM, most are).
    """
    recorded = None if recorded is None else set(recorded)
    rows = []
    # a lead's rows (snapshots) share its id: distinct values count per lead
    leads = frame["customer_id"] if "customer_id" in frame.columns else None
    moments = frame["as_of"] if "as_of" in frame.columns else None
    for name in features:
        auc = single_feature_auc(frame[name], label)
        from_record = recorded is None or name in recorded
        if from_record and looks_like_an_id(frame[name], leads, moments):
            reason, action = (
                "looks like an id: not a feature (an integer of its own per lead)",
                ID_ACTION,
            )
        else:
            limits = (suspicious_auc, strong_auc if from_record else suspicious_auc)
            reason = _suspicions(name, frame[name], label, auc, limits)
            action = "kept: check how it is recorded" if reason else "kept"
        rows.append(
            {
                "field": name,
                "kind": "feature",
                "single_feature_auc": round(auc, 4),
                "flagged": bool(reason),
                "reason": reason,
                "action": action,
            }
        )
    for name in [] if post_outcome is None else post_outcome.columns:
        auc = single_feature_auc(post_outcome[name], label)
        rows.append(
            {
                "field": name,
                "kind": "post_outcome",
                "single_feature_auc": round(auc, 4),
                "flagged": True,
                "reason": "known only after the outcome (source config: post_outcome_columns)",
                "action": "excluded: known only after the outcome",
            }
        )
    for name in identifiers:
        rows.append(
            {
                "field": name,
                "kind": "identifier",
                "single_feature_auc": float("nan"),
                "flagged": True,
                "reason": "its values look like ids or hashes: they name a lead, not describe it",
                "action": "excluded: name it under the feature set's profile.include to use it",
            }
        )
    audit = pd.DataFrame(
        rows, columns=["field", "kind", "single_feature_auc", "flagged", "reason", "action"]
    )
    return audit.sort_values(
        ["flagged", "single_feature_auc"], ascending=False, na_position="last", ignore_index=True
    )


def id_features(audit: pd.DataFrame) -> list[str]:
    """The features the audit found to be ids: to leave out of training."""
    dropped = audit[(audit["kind"] == "feature") & (audit["action"] == ID_ACTION)]
    return dropped["field"].tolist()
