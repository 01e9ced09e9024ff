"""The configs `leadscore init` writes: valid in the project's formats, each guess commented."""

from __future__ import annotations

from pathlib import Path

from leadscore.data.export_guess import guess_export
from leadscore.data.guessed_config import source_yaml, training_yaml
from leadscore.data.loading import load_source
from leadscore.data.source_config import EventLabel, FlagLabel, load_source_config
from leadscore.training.config import load_training_config
from tests.unit.data.test_export_guess import german_export


def test_source_config_reads_back_and_loads(tmp_path: Path) -> None:
    folder = german_export(tmp_path / "export")
    out = tmp_path / "configs"
    out.mkdir()
    text = source_yaml(guess_export(folder), out)
    (out / "source.yaml").write_text(text, encoding="utf-8")
    config = load_source_config(out / "source.yaml")
    customers, events = config.tables["customers"], config.tables["events"]
    assert customers.encoding == "latin-1" and customers.read == {"sep": ";"}
    assert (customers.numbers.decimal, customers.numbers.thousands) == (",", ".")
    assert customers.rename["Kunden-Nr"] == "customer_id"
    assert customers.rename["Angelegt am"] == "created_at"
    assert customers.timestamps["created_at"].format == "%d.%m.%Y"
    assert events.file_format == "jsonl"
    assert events.event_types["Messe"] == "trade_fair_visit"
    assert "Geburtstagskarte" not in events.event_types
    assert config.label == FlagLabel(kind="flag", column="Abschluss", positive=["ja"],
                                     negative=["nein"])  # fmt: skip
    assert config.timezone == "Europe/Berlin"
    # what was seen, beside each guess; the unknown event name and the other label candidate
    assert "# the header holds 6 semicolons" in text
    assert "not UTF-8 (byte 0xfc" in text
    assert '# "Geburtstagskarte": ...   # unknown' in text
    assert "other yes/no columns that could be the label: Newsletter" in text
    result = load_source(config, now=None)
    assert result.ok, result.problems
    assert result.data.customers["Umsatz"].dtype == "float64"


def test_training_config_reads_back_with_the_shipped_feature_set(tmp_path: Path) -> None:
    folder = german_export(tmp_path / "export")
    (folder / "training.yaml").write_text(training_yaml(guess_export(folder)))
    config = load_training_config(folder / "training.yaml")
    assert (config.model, config.feature_set) == ("conversion", "profile_v1")
    assert config.path(config.source) == folder / "source.yaml"
    assert config.model_name == "leadscore-export-conversion"


def test_dated_orders_are_the_label_and_the_yes_no_column_is_dropped(tmp_path: Path) -> None:
    folder = german_export(tmp_path / "export")
    events = folder / "Aktivitaeten.json"
    order = '{"Kunden-Nr": "K005", "Zeit": "19.07.2024 10:00", "Aktivität": "Auftrag erteilt"}'
    events.write_text(events.read_text(encoding="utf-8") + order + "\n", encoding="utf-8")
    guess = guess_export(folder)
    assert guess.purchase_names == ["Auftrag erteilt"] and guess.flag_label is None
    (folder / "source.yaml").write_text(source_yaml(guess, folder), encoding="utf-8")
    config = load_source_config(folder / "source.yaml")
    assert config.label == EventLabel(kind="event", event_type="purchase")
    assert config.tables["customers"].drop == ["Abschluss"]  # the outcome: never a feature
    (folder / "training.yaml").write_text(training_yaml(guess))
    assert load_training_config(folder / "training.yaml").feature_set == "conversion_v1"
