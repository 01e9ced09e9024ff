"""Feature sets from YAML: shipped sets load, bad ones name the field, sets extend others."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.explain import sentence
from leadscore.features.definitions import (
    Description,
    Forms,
    expand,
    load_feature_set,
    profile_description,
)
from tests.conftest import REPO

FEATURES = REPO / "features"


def test_shipped_feature_sets_load_and_describe_every_feature() -> None:
    for path in sorted(FEATURES.glob("*.yaml")):
        feature_set = load_feature_set(path.stem, directory=FEATURES)
        assert feature_set.id == path.stem
        for definition in feature_set.features:
            for lang in ("en", "de"):
                where = f"{path.name}: {definition.name} ({lang})"
                texts = definition.description.texts(lang)
                assert "{value}" in texts[-1], where  # the 'other' form states the value
                if definition.windows and definition.windows != ["all"]:
                    assert all("{window}" in t for t in texts), where
                if definition.value_format in ("count", "days"):
                    forms = getattr(definition.description, lang)
                    assert isinstance(forms, Forms) and forms.zero and forms.one, where


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("features: [{name: x, agg: count, description: {en: a, de: b}}]", "needs windows"),
        (
            "features: [{name: x, agg: sum, windows: [7], description: {en: a, de: b}}]",
            "column: value",
        ),
        (
            "features: [{name: X-1, agg: days_since_last, description: {en: a, de: b}}]",
            "snake_case",
        ),
        (
            "features: [{name: x, agg: trend, short: 30, long: 7, description: {en: a, de: b}}]",
            "short < long",
        ),
        ("features: [{name: x, agg: median, windows: [7], description: {en: a, de: b}}]", "agg"),
        ("features: [{name: x, agg: days_since_last, description: {en: a}}]", "de"),
    ],
)
def test_bad_feature_definitions_name_the_field(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "t_v1.yaml").write_text(f"name: t\nversion: 1\n{body}\n")
    with pytest.raises(InputError, match=message) as info:
        load_feature_set("t_v1", directory=tmp_path)
    assert "t_v1.yaml" in str(info.value)


def test_feature_set_file_name_must_match_its_version(tmp_path: Path) -> None:
    (tmp_path / "t_v1.yaml").write_text("name: t\nversion: 2\n")
    with pytest.raises(InputError, match=r"t_v2\.yaml"):
        load_feature_set("t_v1", directory=tmp_path)
    with pytest.raises(InputError, match=r"no feature set 'nothing_v1' \(looked in .*holds"):
        load_feature_set("nothing_v1", directory=tmp_path)


def test_feature_sets_are_looked_up_in_several_folders_in_order(tmp_path: Path) -> None:
    own, shipped = tmp_path / "own", tmp_path / "shipped"
    own.mkdir(), shipped.mkdir()
    (own / "t_v1.yaml").write_text("name: t\nversion: 1\ndescription: own\n")
    (shipped / "t_v1.yaml").write_text("name: t\nversion: 1\ndescription: shipped\n")
    (shipped / "u_v1.yaml").write_text("name: u\nversion: 1\n")
    assert load_feature_set("t_v1", directory=[own, shipped]).description == "own"
    assert load_feature_set("u_v1", directory=[own, shipped]).id == "u_v1"
    with pytest.raises(InputError) as caught:
        load_feature_set("v_v1", directory=[own, shipped])
    assert str(own.resolve()) in str(caught.value) and "['t_v1', 'u_v1']" in str(caught.value)


BASE = """name: base
version: 1
dedupe_within_seconds: 5
profile: {include: [industry]}
features:
  - {name: visits, agg: count, windows: [7], description: {en: "{value} in {window}", de: "{value} in {window}"}}
"""  # noqa: E501


def test_a_feature_set_extends_another_and_adds_its_features_after(tmp_path: Path) -> None:
    (tmp_path / "base_v1.yaml").write_text(BASE)
    (tmp_path / "more_v2.yaml").write_text(
        "name: more\nversion: 2\ndescription: base plus one\nextends: base_v1\nfeatures:\n"
        "  - {name: last_visit, agg: days_since_last,"
        " description: {en: '{value}', de: '{value}'}}\n"
    )
    more = load_feature_set("more_v2", directory=tmp_path)
    assert more.id == "more_v2" and more.description == "base plus one"
    assert [f.name for f in more.features] == ["visits", "last_visit"]
    assert more.dedupe_within_seconds == 5 and more.profile.include == ["industry"]
    # its own settings win over what it extends
    (tmp_path / "own_v1.yaml").write_text(
        "name: own\nversion: 1\nextends: more_v2\ndedupe_within_seconds: 0\n"
    )
    own = load_feature_set("own_v1", directory=tmp_path)
    assert own.dedupe_within_seconds == 0 and [f.name for f in own.features] == [
        "visits",
        "last_visit",
    ]


def test_shipped_nbo_set_is_the_conversion_set_plus_offer_features() -> None:
    conversion = load_feature_set("conversion_v1", directory=FEATURES)
    nbo = load_feature_set("nbo_v1", directory=FEATURES)
    assert nbo.features[: len(conversion.features)] == conversion.features
    assert len(nbo.features) > len(conversion.features)
    assert nbo.profile == conversion.profile
    assert nbo.dedupe_within_seconds == conversion.dedupe_within_seconds


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a_v1": "name: a\nversion: 1\nextends: nothing_v1\n"},
            r"a_v1\.yaml: extends: no feature set 'nothing_v1'",
        ),
        (
            {
                "a_v1": "name: a\nversion: 1\nextends: b_v1\n",
                "b_v1": "name: b\nversion: 1\nextends: a_v1\n",
            },
            "circle",
        ),
        ({"a_v1": "name: a\nversion: 1\nextends: [b_v1]\n"}, "id of one feature set"),
        (
            {
                "a_v1": "name: a\nversion: 1\nextends: base_v1\nfeatures:\n  - {name: visits, "
                "agg: days_since_last, description: {en: x, de: y}}\n"
            },
            "repeated: \\['visits'\\]",
        ),
    ],
)
def test_a_bad_extends_names_the_file_and_the_problem(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    (tmp_path / "base_v1.yaml").write_text(BASE)
    for name, body in files.items():
        (tmp_path / f"{name}.yaml").write_text(body)
    with pytest.raises(InputError, match=message) as info:
        load_feature_set("a_v1", directory=tmp_path)
    assert ".yaml" in str(info.value)


def test_every_shipped_sentence_renders_in_both_languages_by_number() -> None:
    """Every sentence of every shipped feature set, with and without a window, for none,
    one, a fraction and many: no empty placeholder, no "0 pages" (an absence reads as
    one), a singular of its own for one ("1 page", "yesterday"), whole days."""
    examples = sorted(REPO.glob("examples/*/*_v[0-9]*.yaml"))
    assert examples  # the Olist example's own feature set among them
    for path in [*sorted(FEATURES.glob("*.yaml")), *examples]:
        feature_set = load_feature_set(path)
        for definition in feature_set.features:
            for feature in expand(definition, currency=feature_set.currency):
                for lang in ("en", "de"):
                    said = {
                        v: sentence(feature.description, feature.window, v, lang)
                        for v in (0, 1, 1.9, 2, 2.5, 1234)
                    }
                    where = (path.name, feature.name, lang, said)
                    for text in said.values():
                        assert "{" not in text and "  " not in text, where
                    if definition.value_format not in ("count", "days"):
                        continue
                    assert not re.search(r"(?<![\d.,])0(?![\d.,])", said[0]), where
                    assert said[1] != said[2].replace("2", "1"), where  # a singular form
                    if definition.value_format == "days":
                        assert said[1.9] == said[1], where  # 1.9 days ago: yesterday
                    assert ("1.234" if lang == "de" else "1,234") in said[1234], where


def test_an_undescribed_column_reads_as_words() -> None:
    assert sentence(profile_description("a_b"), None, "cell_phone", "en") == "A b: Cell phone"
    assert sentence(profile_description("ExitRates"), None, 0.0126, "de") == "Exit rates: 0,0126"
    assert sentence(profile_description("cons.conf.idx"), None, -51.23, "en") == (
        "Cons conf idx: -51.2"
    )


def test_forms_are_chosen_by_the_number_shown() -> None:
    text = Description(
        en=Forms(zero="Never", one="Once, {window} days", other="{value} times, {window} days"),
        de="{value}-mal",
        format="count",
    )
    assert text.render_window("en", 7, value="0", count=0) == "Never"
    assert text.render_window("en", 7, value="1", count=1) == "Once, 7 days"
    assert text.render_window("en", 7, value="3", count=3) == "3 times, 7 days"
    assert text.render_window("en", 7, value="?", count=None) == "? times, 7 days"
    assert text.render_window("de", 7, value="1", count=1) == "1-mal"  # one string, all numbers
    assert Description.from_metadata(text.as_metadata()) == text  # as a model records it


def test_a_window_all_sentence_that_names_days_is_refused(tmp_path: Path) -> None:
    (tmp_path / "t_v1.yaml").write_text(
        "name: t\nversion: 1\nfeatures:\n"
        "  - {name: buys, agg: count, where: {event_type: [purchase]}, windows: [30, all],\n"
        "     description: {en: 'Bought {value} times in {window} days',\n"
        "                   de: '{value} in {window}'}}\n"
    )
    with pytest.raises(InputError, match=r"description\.en_all"):
        load_feature_set("t_v1", directory=tmp_path)


def test_an_unknown_feature_set_key_lists_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "t_v1.yaml").write_text("name: t\nversion: 1\nfeatuers: []\n")
    with pytest.raises(InputError, match=r"valid keys here: name, version, description"):
        load_feature_set("t_v1", directory=tmp_path)
