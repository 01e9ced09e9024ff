"""Full records (profile attributes and recent events) checked against what the models
read, and their features built with the training builder as of a moment."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from leadscore.data.records import RECORD_TIMEZONE, information, record_key, record_tables
from leadscore.data.tables import DISPLAY_COLUMNS, EVENT_TYPES
from leadscore.features.builder import build_features
from leadscore.features.definitions import FeatureSetDefinition, expand
from leadscore.scoring.pure import PureScorer

# the status of a record that holds too little to be scored (no grade, no offer)
NOT_ENOUGH_DATA = "not_enough_data"
DEFAULT_MIN_INFORMATION = 1


@dataclass(frozen=True)
class RecordFeatures:
    """Features of the records that keep the rules (in the order of ``accepted``, their
    positions among the records given), each other record's problem, and warnings."""

    features: pd.DataFrame
    accepted: list[int]
    problems: dict[int, str]
    warnings: dict[int, list[str]]


@dataclass(frozen=True, eq=False)
class RecordScorer:
    """Checks records against the models of ``pure``, builds their features and scores
    them. A profile field the models do not read, or a category they do not know, is a
    problem; with ``lenient_profiles`` a warning instead (the field is ignored, the category
    counts as missing). An event type outside the canonical ones and those the features name
    is a problem unless ``accept_unknown_event_types``."""

    pure: PureScorer
    accept_unknown_event_types: bool = False
    lenient_profiles: bool = False
    # a record with fewer profile values and events than this is not scored: it says so
    min_information: int = DEFAULT_MIN_INFORMATION
    # the zone a record's time without an offset is read in (and the intake's)
    timezone: str = RECORD_TIMEZONE

    def score_records(
        self,
        records: list[dict],
        *,
        now: pd.Timestamp,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """One item per record, in order: its explained score; ``{"customer_id",
        "error"}`` where the record breaks a rule (see ``features_for_records``); or
        ``{"customer_id", "status": "not_enough_data", "message"}`` where it holds fewer
        profile values and events than ``min_information`` (no grade, no offer). Results
        carry the record's own ``customer_id`` (None where it has none)."""
        built = self.features_for_records(records, now=now, positions=positions)
        items: list[dict] = [{} for _ in records]
        for i, message in built.problems.items():
            items[i] = {"customer_id": records[i].get("customer_id"), "error": message}
        known = {i: information(records[i]) for i in built.accepted}
        thin = {i for i, given in known.items() if given < self.min_information}
        for i in thin:
            items[i] = {
                "customer_id": records[i].get("customer_id"),
                "status": NOT_ENOUGH_DATA,
                "message": (
                    f"not enough data to score: {known[i]} profile values and "
                    f"events, at least {self.min_information} needed "
                    "(LEADSCORE_MIN_INFORMATION); send what is known of the lead"
                ),
            }
        rows = [row for row, i in enumerate(built.accepted) if i not in thin]  # features' rows
        accepted = [built.accepted[row] for row in rows]
        features = built.features.iloc[rows].reset_index(drop=True) if thin else built.features
        if accepted:
            scored = self.pure.score_frame(features, lang=lang, top_k=top_k)
            for i, result in zip(accepted, scored, strict=True):
                result["customer_id"] = records[i].get("customer_id")
                result["warnings"] = built.warnings.get(i, [])
                items[i] = result
        return items

    def features_for_records(
        self,
        records: list[dict],
        *,
        now: pd.Timestamp,
        positions: Sequence[int] | None = None,
    ) -> RecordFeatures:
        """Features built from full records (profile + events) with the training builder,
        for the records that keep the rules; each other record's problem names the lead and
        field (``leadscore.data.records``; messages use ``positions``, the records' places
        in the request, where given). Profile fields the models know but a record lacks
        count as missing."""
        known = None if self.accept_unknown_event_types else self.known_event_types
        at = list(positions) if positions is not None else list(range(len(records)))
        tables = record_tables(
            records, now=now, event_types=known, positions=at, timezone=self.timezone
        )
        problems, warnings = dict(tables.problems), {}
        for i, record in enumerate(records):
            if i in problems:
                continue
            found = self.profile_problems(record.get("profile") or {}, f"leads[{at[i]}]")
            if found and not self.lenient_profiles:
                problems[i] = found[0]
            elif found:
                warnings[i] = found
        keep = [i for i in tables.accepted if i not in problems]
        kept = [record_key(i) for i in keep]
        customer_frame = tables.customers[tables.customers["customer_id"].isin(kept)]
        customer_frame = customer_frame.reset_index(drop=True)
        events = tables.events[tables.events["customer_id"].isin(kept)]
        features = self.features_as_of(customer_frame, events, now=now)
        return RecordFeatures(features, keep, problems, warnings)

    def features_as_of(
        self, customers: pd.DataFrame, events: pd.DataFrame, *, now: pd.Timestamp
    ) -> pd.DataFrame:
        """The models' features of ``customers`` (canonical columns, profile attributes as
        text or numbers) from their ``events``, as of ``now``, by the training builder; a
        category the models do not know counts as missing."""
        customer_frame = customers.copy()
        for column, levels in self._categories.items():
            if column in customer_frame:
                known = set(levels)
                values = [
                    None if pd.isna(v) or str(v) not in known else str(v)
                    for v in customer_frame[column].astype("object")
                ]
            else:
                values = [None] * len(customer_frame)
            customer_frame[column] = pd.Categorical(values, categories=levels)
        spine = pd.DataFrame({"customer_id": customer_frame["customer_id"], "as_of": now})
        spine["as_of"] = pd.to_datetime(spine["as_of"], utc=True)
        definition = self._record_feature_set
        features = build_features(customer_frame, events, spine, definition, n_jobs=1)
        for name in self._profile_numbers:
            if name not in features.columns:
                features[name] = float("nan")
        return features

    def profile_problems(self, profile: Mapping, where: str) -> list[str]:
        """What the models say against one lead's profile as sent (``where``: the lead, as
        ``leads[3]``): a field they do not read, a category they do not know, text or a
        boolean in a numeric field. The same checks for ``POST /score``'s records and the
        leads posted to the intake."""
        found = []
        numbers = set(self._profile_numbers)
        for key, value in profile.items():
            if key not in self.profile_fields:
                found.append(
                    f"{where}.profile.{key}: not a profile field the models read (they read "
                    f"{', '.join(sorted(self.profile_fields)) or 'none'}); leave it out"
                )
            elif value is None:
                continue
            elif key in self._categories:
                levels = self._categories[key]
                if str(value) not in levels:
                    found.append(_unknown_category(f"{where}.profile.{key}", value, levels))
            elif key in numbers and (isinstance(value, bool) or not _is_number(value)):
                found.append(
                    f"{where}.profile.{key}: {str(value)[:40]!r} is not a number; the models "
                    "read a number here: send one (12.5), or leave it out"
                )
        return found

    def profile_kinds(self) -> dict[str, list[str] | str]:
        """Each profile field a record may send: its categories, "number", or "any" (one its
        feature set leaves out)."""
        kinds: dict[str, list[str] | str] = {f: "any" for f in self.profile_fields}
        kinds |= {f: "number" for f in self._profile_numbers}
        kinds |= {f: [str(v) for v in levels] for f, levels in self._categories.items()}
        return kinds

    @cached_property
    def profile_fields(self) -> frozenset[str]:
        """The profile attributes the models read (their categories and profile numbers),
        those their feature set names to leave out and the display fields (a lead's name,
        phone, owner: stored for the workspace, not read by the models): known, so not a
        mistake."""
        spec = self._record_feature_set.profile
        excluded = frozenset(spec.exclude) if spec is not None else frozenset()
        known = frozenset(self._categories) | frozenset(self._profile_numbers) | excluded
        return known | frozenset(DISPLAY_COLUMNS)

    @cached_property
    def known_event_types(self) -> frozenset[str]:
        """The canonical event types and every type the models' features name."""
        named = {t for f in self._record_feature_set.features for t in (f.where.event_type or [])}
        return frozenset(EVENT_TYPES) | named

    @cached_property
    def _categories(self) -> dict[str, list[str]]:
        conversion, nbo = self.pure.conversion, self.pure.nbo
        categories = {} if conversion is None else dict(conversion.model.encoder.categories)
        if nbo is not None:
            categories |= nbo.encoder.categories
        return categories

    @cached_property
    def _profile_numbers(self) -> list[str]:
        """Numeric features a record may omit (profile columns that are not built)."""
        built = {f.name for d in self._record_feature_set.features for f in expand(d)}
        conversion, nbo = self.pure.conversion, self.pure.nbo
        names = [] if conversion is None else list(conversion.model.features)
        if nbo is not None:
            names += nbo.features
        categorical = self._categories
        return [n for n in dict.fromkeys(names) if n not in built and n not in categorical]

    @cached_property
    def _record_feature_set(self) -> FeatureSetDefinition:
        """Both models' feature sets in one, to build every feature a record needs once."""
        definition = self.pure.feature_set
        if self.pure.nbo is None:
            return definition
        nbo_meta = self.pure.first_offer.metadata["feature_set_definition"]
        other = FeatureSetDefinition.model_validate(nbo_meta)
        known = {d.name for d in definition.features}
        extra = [d for d in other.features if d.name not in known]
        return definition.model_copy(update={"features": [*definition.features, *extra]})


def _unknown_category(where: str, value: object, levels: Sequence) -> str:
    """A category the models do not know, with those they know, and the one it was meant
    to be where it differs only in case or spaces (a CRM's picklist label)."""
    text = str(value)
    meant = [str(v) for v in levels if str(v).casefold() == text.strip().casefold()]
    hint = f"did you mean {meant[0]!r}? " if meant else ""
    shown = ", ".join(map(str, levels[:12])) + (" ..." if len(levels) > 12 else "")
    return (
        f"{where}: {text[:40]!r} is not a value the models know (they know {shown}); "
        f"{hint}send one of these, or leave it out"
    )


def _is_number(value: object) -> bool:
    """A number as the models read a profile value: a finite number, or text of one."""
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
