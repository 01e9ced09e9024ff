"""Declarative feature definitions: named, typed, versioned feature sets read from YAML.

A feature set file (``features/conversion_v1.yaml``) lists aggregations of a customer's
events over time windows, profile attributes, and derived features. Each definition
expands to one or more concrete features (one per window), each with a description in
German and English that the service turns into a reason sentence.

A feature set may build on another with ``extends: <id>`` (looked up beside it): it takes
the other's features, profile and settings, adds its own features after them, and may set
``profile`` or ``dedupe_within_seconds`` anew. What a model records is the resolved set,
so a model never depends on the file it was extended from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.errors import InputError
from leadscore.common.wording import ValueFormat, humanised, plural_category
from leadscore.data.tables import EVENT_CATEGORIES

Agg = Literal["count", "sum", "distinct_count", "days_since_last", "days_since_created", "trend"]
AGG_FORMATS: dict[str, ValueFormat] = {
    "count": "count",
    "distinct_count": "count",
    "days_since_last": "days",
    "days_since_created": "days",
    "trend": "ratio",
    "sum": "money",
}
Window = int | Literal["all"]
LANGUAGES = ("en", "de")
EVENT_FILTER_COLUMNS = EVENT_CATEGORIES
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Forms(StrictModel):
    """A sentence in the forms a number asks for: ``one`` where the language's plural
    rules say one (1 in English and German: "Viewed 1 page"), ``other`` for the rest, and
    ``zero``, how the absence reads ("Has not visited the pricing page in the last 7
    days"). Missing forms fall back to ``other``."""

    zero: str | None = None
    one: str | None = None
    other: str

    def pick(self, count: float | None, lang: str) -> str:
        if count is None:
            return self.other
        if count == 0 and self.zero is not None:
            return self.zero
        if self.one is not None and plural_category(count, lang) == "one":
            return self.one
        return self.other

    def texts(self) -> list[str]:
        return [t for t in (self.zero, self.one, self.other) if t is not None]


Text = str | Forms


class Description(StrictModel):
    """A sentence per language; ``{value}`` is the feature's value, ``{window}`` its days.

    Each sentence is a string, or forms by number (``{zero: ..., one: ..., other: ...}``,
    chosen by the value as it is shown: whole days, whole counts). ``en_missing`` /
    ``de_missing`` say what a missing value means ("Never visited the pricing page"),
    where "{value}" = "unknown" would read badly. ``en_all`` / ``de_all`` are the
    sentences of the window ``all`` (ever), which has no number of days. ``format`` says
    how the value is written (counts, whole days, a ratio, money in the feature set's
    currency, a percentage, or a number with three significant digits); by default it
    follows the aggregation. ``values`` gives a category's words per language.
    """

    en: Text
    de: Text
    en_missing: str | None = None
    de_missing: str | None = None
    en_all: Text | None = None
    de_all: Text | None = None
    format: ValueFormat | None = None
    currency: str | None = Field(None, description="set from the feature set's currency")
    values: dict[str, dict[Literal["en", "de"], str]] = Field(
        default_factory=dict,
        description="a category's words per language: {fri: {en: Friday, de: Freitag}}",
    )
    reason: bool = Field(
        True,
        description="false: the feature counts in the score but is never given as a reason "
        "(an id or hash a feature set names on purpose)",
    )

    def value_text(self, value: object, lang: str) -> str | None:
        """A category's own words in ``lang``, where the description gives them."""
        words = self.values.get(str(value)) if self.values else None
        return None if words is None else words.get(lang)

    def render_window(
        self, lang: str, window: object, *, value: object, count: float | None = None
    ) -> str:
        """The sentence for one window, in the form ``count`` asks for: its days filled
        in, or the 'all' sentence."""
        text = getattr(self, lang)
        if window == "all":
            text = getattr(self, f"{lang}_all") or text
        if isinstance(text, Forms):
            text = text.pick(count, lang)
        days = "" if window is None or window == "all" else window
        return text.format(window=days, value=value)

    def texts(self, lang: str, *, ever: bool = False) -> list[str]:
        """Every form of the language's sentence (of the window 'all' with ``ever``)."""
        text = getattr(self, f"{lang}_all" if ever else lang)
        if text is None:
            return []
        return text.texts() if isinstance(text, Forms) else [text]

    def missing(self, lang: str) -> str | None:
        return getattr(self, f"{lang}_missing")

    def written(self, value_format: ValueFormat, currency: str | None) -> Description:
        """This description with the value format its feature's aggregation implies,
        where it names none."""
        if self.format is not None and (self.format != "money" or self.currency):
            return self
        written = self.format or value_format
        money = self.currency or currency if written == "money" else self.currency
        return self.model_copy(update={"format": written, "currency": money})

    def as_metadata(self) -> dict:
        return self.model_dump(exclude_none=True)

    @classmethod
    def from_metadata(cls, info: dict) -> Description:
        return cls.model_validate({k: v for k, v in info.items() if k in cls.model_fields})


class EventFilter(StrictModel):
    """Which events an aggregation reads (values of the same column are alternatives)."""

    event_type: list[str] | None = None
    channel: list[str] | None = None
    offer_id: list[str] | None = None
    campaign: list[str] | None = None

    def items(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(c, tuple(v)) for c in EVENT_FILTER_COLUMNS if (v := getattr(self, c))]


class FeatureDefinition(StrictModel):
    """One aggregation of events; ``windows`` expands it into one feature per window."""

    name: str
    agg: Agg
    where: EventFilter = EventFilter()
    windows: list[Window] = Field(default_factory=list)
    column: str | None = Field(None, description="the column that sum / distinct_count read")
    short: int | None = Field(None, description="trend: the recent window in days")
    long: int | None = Field(None, description="trend: the reference window in days")
    description: Description

    @field_validator("name")
    @classmethod
    def _snake_case(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"'{name}' must be lower snake_case (letters, digits, _)")
        return name

    @field_validator("windows")
    @classmethod
    def _positive(cls, windows: list[Window]) -> list[Window]:
        if any(w != "all" and w <= 0 for w in windows):
            raise ValueError("windows are positive numbers of days, or 'all'")
        return windows

    @model_validator(mode="after")
    def _fits_agg(self) -> FeatureDefinition:
        windowed = self.agg in ("count", "sum", "distinct_count")
        if windowed and not self.windows:
            raise ValueError(f"agg '{self.agg}' needs windows, e.g. [7, 30, 90]")
        if not windowed and self.windows:
            raise ValueError(f"agg '{self.agg}' takes no windows")
        if self.agg == "sum" and self.column != "value":
            raise ValueError("agg 'sum' reads the events' numeric column: set column: value")
        if self.agg == "distinct_count" and self.column not in EVENT_FILTER_COLUMNS:
            raise ValueError(f"agg 'distinct_count' needs column: one of {EVENT_FILTER_COLUMNS}")
        if self.agg == "trend" and not (self.short and self.long and self.short < self.long):
            raise ValueError("agg 'trend' needs short and long windows in days, short < long")
        ever = "all" in self.windows
        for lang in LANGUAGES:
            texts = self.description.texts(lang)
            if (
                ever
                and any("{window}" in t for t in texts)
                and not self.description.texts(lang, ever=True)
            ):
                raise ValueError(
                    f"description.{lang} names {{window}}, which the window 'all' has not: "
                    f"add description.{lang}_all, the sentence for ever"
                )
        return self

    @property
    def value_format(self) -> ValueFormat:
        """How the aggregation's values read: counts, whole days, a ratio, an amount."""
        return AGG_FORMATS[self.agg]


class ProfileSpec(StrictModel):
    """Which customer attributes pass through as features."""

    include: Literal["all"] | list[str] = "all"
    exclude: list[str] = Field(default_factory=list)
    descriptions: dict[str, Description] = Field(default_factory=dict)


class FeatureSetDefinition(StrictModel):
    """A named, versioned feature set, as written in ``features/<name>_v<version>.yaml``."""

    name: str
    version: int = Field(ge=1)
    description: str = ""
    currency: str | None = Field(
        None, description="ISO 4217 code of the events' values (EUR): sums read as money"
    )
    dedupe_within_seconds: float = Field(
        0, ge=0, description="count an event repeated this soon (same type, channel, offer) once"
    )
    profile: ProfileSpec | None = ProfileSpec()
    features: list[FeatureDefinition] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.name}_v{self.version}"

    @model_validator(mode="after")
    def _unique_names(self) -> FeatureSetDefinition:
        names = [f.name for f in self.features]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"feature names must be unique; repeated: {duplicated}")
        return self


@dataclass(frozen=True)
class Feature:
    """One concrete column of a feature table."""

    name: str
    definition: FeatureDefinition | None  # None for profile attributes
    window: Window | None
    description: Description


def expand(definition: FeatureDefinition, *, currency: str | None = None) -> list[Feature]:
    """The concrete features of one definition: ``pricing_page_views_7d``, ``..._30d``,
    their descriptions saying how their values read (sums in ``currency``)."""
    description = definition.description.written(definition.value_format, currency)
    if not definition.windows:
        return [Feature(definition.name, definition, None, description)]
    return [
        Feature(f"{definition.name}_{_window_suffix(w)}", definition, w, description)
        for w in definition.windows
    ]


def _window_suffix(window: Window) -> str:
    return "all" if window == "all" else f"{window}d"


def profile_description(column: str) -> Description:
    """An undescribed column reads as its name in words and its value: 'Exit rates: 0.0126'."""
    label = humanised(column).replace("{", "{{").replace("}", "}}")  # braces: no placeholders
    return Description(en=f"{label}: {{value}}", de=f"{label}: {{value}}")


def load_feature_set(
    name_or_path: str | Path, *, directory: Path | Sequence[Path] = Path("features")
) -> FeatureSetDefinition:
    """A feature set by id (``conversion_v1``, looked up in ``directory``, or in the first
    of several folders that holds it) or by file path, with ``extends`` resolved."""
    folders = [directory] if isinstance(directory, Path) else list(dict.fromkeys(directory))
    path = _feature_set_path(name_or_path, folders)
    raw = _resolved(path, chain=())
    definition = validated(FeatureSetDefinition, raw, path=path, what="feature set")
    if path.stem != definition.id:
        raise InputError(
            f"{path}: file name must be '{definition.id}.yaml' (name '{definition.name}', "
            f"version {definition.version}), so that versions never overwrite each other"
        )
    return definition


def _feature_set_path(name_or_path: str | Path, folders: list[Path]) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise InputError(f"{path}: no such feature set file")
        return path
    for folder in folders:
        if (folder / f"{name_or_path}.yaml").exists():
            return folder / f"{name_or_path}.yaml"
    looked = "; ".join(
        f"{folder.resolve()}/ holds {sorted(p.stem for p in folder.glob('*.yaml')) or 'none'}"
        for folder in folders
    )
    raise InputError(
        f"no feature set '{name_or_path}' (looked in {looked}); give one of those ids, "
        "a path to a feature set's YAML, or --features-dir"
    )


# what a feature set that extends another sets for itself; everything else it inherits
_OWN_FIELDS = ("name", "version", "description")


def _resolved(path: Path, *, chain: tuple[Path, ...]) -> dict:
    """The file's mapping with ``extends`` replaced by what it extends."""
    raw = read_yaml(path, what="feature set")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a feature set must be a mapping with 'name' and 'features'")
    parent_id = raw.pop("extends", None)
    if parent_id is None:
        return raw
    if not isinstance(parent_id, str):
        raise InputError(f"{path}: extends: give the id of one feature set, e.g. conversion_v1")
    try:
        parent_path = _feature_set_path(parent_id, [path.parent])
    except InputError as exc:
        raise InputError(f"{path}: extends: {exc}") from None
    if parent_path.resolve() in chain or parent_path.resolve() == path.resolve():
        names = " -> ".join(p.stem for p in (*chain, path.resolve(), parent_path.resolve()))
        raise InputError(f"{path}: feature sets extend each other in a circle ({names})")
    parent = _resolved(parent_path, chain=(*chain, path.resolve()))
    inherited = {k: v for k, v in parent.items() if k not in _OWN_FIELDS}
    features = [*(parent.get("features") or []), *(raw.pop("features", None) or [])]
    return {**inherited, **raw, "features": features}
