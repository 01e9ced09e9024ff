"""Training sets: labels agree with the ground truth, open windows are left out, the audit flags
leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source, load_source_config
from leadscore.explain import sentence
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import (
    build_feature_table,
    read_feature_metadata,
    write_feature_table,
)
from leadscore.synthetic import GeneratedCRM
from tests.conftest import NOW, REPO

FEATURES = REPO / "features"


def _data(crm: GeneratedCRM):
    return require_loaded(load_source(canonical_source(crm.directory), now=NOW))


def test_training_labels_agree_with_ground_truth(small_crm: GeneratedCRM) -> None:
    data = _data(small_crm)
    table = build_feature_table(
        data, load_feature_set("conversion_v1", directory=FEATURES), horizon_days=30
    )
    truth = pd.read_parquet(small_crm.directory / "ground_truth" / "conversion.parquet")
    frame = table.frame.astype({"customer_id": "str"})
    joined = frame.merge(truth, on=["customer_id", "as_of"])
    assert len(joined) == len(truth), "the default snapshots are the ground-truth dates"
    assert (joined["label"] == joined["converted"]).all()
    assert table.audit is not None and set(table.audit["field"]) >= set(table.feature_names)


def test_open_label_windows_are_left_out(small_crm: GeneratedCRM) -> None:
    data = _data(small_crm)
    end = data.events["ts"].max()
    late = end - pd.Timedelta(days=10)
    table = build_feature_table(
        data,
        load_feature_set("conversion_v1", directory=FEATURES),
        as_of=[late - pd.Timedelta(days=60), late],
        horizon_days=30,
    )
    assert set(table.frame["as_of"]) == {late - pd.Timedelta(days=60)}
    assert table.censored_rows == int((data.customers["created_at"] < late).sum())


def test_a_feature_added_in_yaml_appears_with_its_description(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    text = (FEATURES / "conversion_v1.yaml").read_text().replace("version: 1", "version: 2")
    text += (
        "  - name: webinar_and_fair_touches\n"
        "    agg: count\n"
        "    where: {event_type: [webinar_attended, trade_fair_visit]}\n"
        "    windows: [180]\n"
        "    description:\n"
        '      en: "Met us at {value} webinars or fairs in {window} days"\n'
        '      de: "Hat uns in {window} Tagen {value}-mal bei Webinaren oder Messen getroffen"\n'
    )
    (tmp_path / "conversion_v2.yaml").write_text(text)
    data = _data(small_crm)
    # the data's own end, not the clock: the generated history stops months before today
    table = build_feature_table(
        data,
        load_feature_set("conversion_v2", directory=tmp_path),
        as_of=[data.events["ts"].max()],
    )
    assert "webinar_and_fair_touches_180d" in table.frame.columns
    assert table.frame["webinar_and_fair_touches_180d"].sum() > 0
    written = write_feature_table(table, tmp_path / "now.parquet")
    meta = read_feature_metadata(written[0])
    assert meta["feature_set"] == "conversion_v2"
    described = meta["features"]["webinar_and_fair_touches_180d"]
    assert described["de"].startswith("Hat uns in {window} Tagen") and described["window"] == 180
    feature = next(f for f in table.features if f.name == "webinar_and_fair_touches_180d")
    assert (
        sentence(feature.description, feature.window, 3, "de")
        == "Hat uns in 180 Tagen 3-mal bei Webinaren oder Messen getroffen"
    )


def _flat_leads(tmp_path: Path, n: int = 600) -> Path:
    """A flat lead export like the bank marketing one: profile, a leaky field, a flag."""
    rng = np.random.default_rng(4)
    converted = rng.random(n) < 0.2
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "job": rng.choice(["admin", "technician", "services"], n),
            "balance": np.round(rng.normal(1000, 300, n) + 400 * converted, 1),
            "duration": np.round(rng.exponential(100, n) + 500 * converted),
            "y": np.where(converted, "yes", "no"),
            "open_rate": np.round(rng.random(n) * 0.3, 4),  # a share: reads as a percentage
            # a landing page recorded as a hash of its address: names, not describes
            "landing_page": [f"{i % 40:04d}" + "9f86d081884c7d65" for i in range(n)],
        }
    )
    frame.to_csv(tmp_path / "leads.csv", sep=";", index=False)
    config = tmp_path / "source.yaml"
    config.write_text(
        "name: flat\n"
        "tables:\n"
        "  customers:\n"
        "    path: leads.csv\n"
        "    read: {sep: ';'}\n"
        "    customer_id: {row_number: {prefix: 'L-'}}\n"
        "    created_at: {sequence: {start: '2024-01-01', end: '2024-12-31'}}\n"
        "label: {kind: flag, column: y, positive: ['yes'], negative: ['no']}\n"
        "post_outcome_columns: [duration]\n"
    )
    return config


def test_flat_export_passes_profile_through_and_audit_flags_post_outcome(tmp_path: Path) -> None:
    data = require_loaded(load_source(load_source_config(_flat_leads(tmp_path)), now=NOW))
    table = build_feature_table(
        data, load_feature_set("profile_v1", directory=FEATURES), horizon_days=30
    )
    frame = table.frame
    assert len(frame) == 600 and "duration" not in frame.columns
    assert isinstance(frame["job"].dtype, pd.CategoricalDtype)
    assert frame["age"].dtype == "float64" and frame["label"].mean() == pytest.approx(0.2, abs=0.05)
    audit = table.audit.set_index("field")
    assert audit.loc["duration", "flagged"] and audit.loc["duration", "kind"] == "post_outcome"
    assert audit.loc["duration", "single_feature_auc"] > 0.9
    assert not audit.loc["job", "flagged"]
    described = {f.name: f for f in table.features}
    rate, balance = described["open_rate"], described["balance"]
    assert sentence(rate.description, None, 0.1234, "de") == "Open rate: 12,3\xa0%"
    assert sentence(balance.description, None, 1234.5, "en") == "Balance: 1,234"


def test_id_like_columns_stay_out_of_the_features_unless_named(tmp_path: Path) -> None:
    loaded = load_source(load_source_config(_flat_leads(tmp_path)), now=NOW)
    assert any(n.startswith("landing_page: values that look like ids") for n in loaded.notes)
    data = require_loaded(loaded)
    assert data.source.identifier_columns == ["landing_page"]
    table = build_feature_table(
        data, load_feature_set("profile_v1", directory=FEATURES), horizon_days=30
    )
    assert "landing_page" not in table.feature_names and "job" in table.feature_names
    audit = table.audit.set_index("field")
    assert audit.loc["landing_page", "kind"] == "identifier"
    assert "profile.include" in audit.loc["landing_page", "action"]
    (tmp_path / "named_v1.yaml").write_text(
        "name: named\nversion: 1\nprofile: {include: [job, landing_page]}\n"
    )
    named = build_feature_table(
        data, load_feature_set("named_v1", directory=tmp_path), horizon_days=30
    )
    assert named.feature_names == ["job", "landing_page"]  # declared: used ...
    described = {f.name: f.description for f in named.features}
    assert described["landing_page"].reason is False and described["job"].reason  # ... unsaid


def test_display_columns_mapped_by_rename_are_kept_out_of_the_features(tmp_path: Path) -> None:
    plain = require_loaded(load_source(load_source_config(_flat_leads(tmp_path)), now=NOW))
    export = pd.read_csv(tmp_path / "leads.csv", sep=";")
    n = len(export)
    export["Full Name"] = [f"Anna Beispiel {i}" for i in range(n)]  # all distinct
    export["Firma"] = [f"Firma {i % 50} GmbH" for i in range(n)]
    export["Telefon"] = [f"0305550{i:04d}" for i in range(n)]  # digits, a leading 0
    export["Vertrieb"] = np.where(np.arange(n) % 2, "Katrin Vogel", "Tom Baker")
    export.to_csv(tmp_path / "leads.csv", sep=";", index=False)
    config = tmp_path / "source.yaml"
    config.write_text(
        config.read_text().replace(
            "    read: {sep: ';'}\n",
            "    read: {sep: ';'}\n"
            "    rename: {Full Name: name, Firma: company, Telefon: phone, Vertrieb: owner}\n",
        )
    )
    loaded = load_source(load_source_config(config), now=NOW)
    assert not any(n.startswith(("name", "phone", "company")) for n in loaded.notes)
    shown = require_loaded(loaded)
    assert shown.customers["phone"].iloc[0] == "03055500000"  # text, not a number
    profile = load_feature_set("profile_v1", directory=FEATURES)
    with_display = build_feature_table(shown, profile, horizon_days=30)
    without = build_feature_table(plain, profile, horizon_days=30)
    assert with_display.feature_names == without.feature_names
    assert "owner" not in with_display.feature_names
    pd.testing.assert_frame_equal(with_display.frame, without.frame)
    (tmp_path / "owned_v1.yaml").write_text(
        "name: owned\nversion: 1\nprofile: {include: [job, owner]}\n"
    )
    owned = build_feature_table(
        shown, load_feature_set("owned_v1", directory=tmp_path), horizon_days=30
    )
    assert owned.feature_names == ["job", "owner"]  # named: a feature like any other


def test_audit_flags_a_feature_that_gives_the_label_away(tmp_path: Path) -> None:
    config = _flat_leads(tmp_path)
    text = config.read_text().replace("post_outcome_columns: [duration]\n", "")
    config.write_text(text)  # now duration is an ordinary profile column, and leaks
    data = require_loaded(load_source(load_source_config(config), now=NOW))
    table = build_feature_table(
        data, load_feature_set("profile_v1", directory=FEATURES), horizon_days=30
    )
    audit = table.audit.set_index("field")
    assert audit.loc["duration", "kind"] == "feature" and audit.loc["duration", "flagged"]
    assert "may encode the outcome" in audit.loc["duration", "reason"]
