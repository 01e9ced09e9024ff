"""The command line: exit codes 0 / 1 / 2, messages that name the problem, same bytes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.synthetic import GeneratedCRM

runner = CliRunner()
NOW = ["--now", "2026-11-27T00:00:00"]


def test_generate_twice_with_one_seed_gives_identical_files(tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = runner.invoke(
            app, ["generate", "--out", str(tmp_path / name), "--customers", "300", "--seed", "9"]
        )
        assert result.exit_code == 0, result.output
        assert "oracle AUC" in result.output
    for path in sorted((tmp_path / "a").rglob("*.parquet")):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_generate_reaches_today_refuses_a_full_folder_and_takes_a_monday(tmp_path: Path) -> None:
    out = tmp_path / "crm"
    result = runner.invoke(app, ["generate", "--out", str(out), "--customers", "300"])
    assert result.exit_code == 0, result.output
    last = pd.read_parquet(out / "events.parquet")["ts"].max()
    today = pd.Timestamp.now(tz="UTC")
    assert pd.Timedelta(0) <= today - last < pd.Timedelta(days=8), last
    again = runner.invoke(app, ["generate", "--out", str(out), "--customers", "300"])
    assert again.exit_code == 1 and "--force" in again.output
    pinned = ["--customers", "300", "--end", "2025-06-30", "--force"]
    forced = runner.invoke(app, ["generate", "--out", str(out), *pinned])
    assert forced.exit_code == 0, forced.output
    assert pd.read_parquet(out / "events.parquet")["ts"].max() < pd.Timestamp(
        "2025-07-01", tz="UTC"
    )
    tuesday = runner.invoke(app, ["generate", "--out", str(tmp_path / "t"), "--end", "2025-07-01"])
    assert tuesday.exit_code == 2 and "Monday" in tuesday.output


def test_generate_injects_a_change_inside_the_history_only(tmp_path: Path) -> None:
    pinned = ["--customers", "400", "--end", "2025-06-30"]
    out = tmp_path / "changed"
    changed = runner.invoke(
        app, ["generate", "--out", str(out), *pinned, "--change-after", "2025-05-01"]
    )
    assert changed.exit_code == 0, changed.output
    assert "injected change from 2025-05-01: 30% of new leads come through partner_portal" in (
        " ".join(changed.output.split())
    )
    customers = pd.read_parquet(out / "customers.parquet")
    sources = customers.groupby(customers["created_at"] >= "2025-05-05")["lead_source"]
    assert "partner_portal" in set(sources.get_group(True).astype(str))
    assert "partner_portal" not in set(sources.get_group(False).astype(str))
    late = runner.invoke(
        app, ["generate", "--out", str(tmp_path / "x"), *pinned, "--change-after", "2025-07-01"]
    )
    assert late.exit_code == 2 and "--change-after" in late.output
    assert "must lie inside the history" in re.sub(r"[│\s]+", " ", late.output)


def test_validate_accepts_generated_data(small_crm: GeneratedCRM) -> None:
    result = runner.invoke(app, ["validate", str(small_crm.directory), *NOW])
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output
    assert f"{small_crm.events:,}" in result.output


def test_validate_exits_1_and_names_each_problem(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("offers", "customers"):
        pd.read_parquet(small_crm.directory / f"{name}.parquet").to_csv(
            bad / f"{name}.csv", index=False
        )
    events = pd.read_parquet(small_crm.directory / "events.parquet").head(50).astype("str")
    events.loc[2, "ts"] = "2099-01-01T00:00:00Z"
    events.loc[4, "offer_id"] = "O-GHOST"
    events.to_csv(bad / "events.csv", index=False)
    report = tmp_path / "problems.csv"
    result = runner.invoke(
        app,
        ["validate", str(bad), "--report", str(report), "--quarantine", str(tmp_path / "q"), *NOW],
    )
    assert result.exit_code == 1
    assert "events.csv, column ts, row 3: timestamp lies in the future" in result.output
    assert (
        "events.csv, column offer_id, row 5: offer_id is not in the offers table" in result.output
    )
    assert "'O-GHOST'" in result.output
    problems = pd.read_csv(report)
    assert problems[["column", "row"]].values.tolist() == [["ts", 3], ["offer_id", 5]]
    assert len(pd.read_csv(tmp_path / "q" / "events.rejected.csv")) == 2


def test_load_writes_accepted_tables_and_quarantine(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["load", str(small_crm.directory), "--out", str(tmp_path / "out"), *NOW]
    )
    assert result.exit_code == 0, result.output
    events = pd.read_parquet(tmp_path / "out" / "events.parquet")
    assert len(events) == small_crm.events
    assert (tmp_path / "out" / "quarantine" / "events.rejected.csv").exists()


def test_bad_source_config_exits_1_with_the_field(tmp_path: Path) -> None:
    config = tmp_path / "source.yaml"
    config.write_text("name: x\ntimezone: Nowhere/City\ntables: {customers: {path: a.csv}}\n")
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 1
    assert "timezone" in result.output and "Nowhere/City" in result.output


@pytest.mark.slow  # starts the installed command several times: 30 s
def test_installed_entry_point_and_usage_errors() -> None:
    exe = Path(sys.executable).parent / "leadscore"
    ok = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "generate" in ok.stdout and "validate" in ok.stdout
    usage = subprocess.run(
        [str(exe), "generate", "--customers", "many"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2


def test_help_and_version_load_no_data_stack() -> None:
    """--help answers at once: the command line's module imports none of the heavy stack."""
    probe = (
        "import sys, leadscore.cli; "
        "print(sorted(m for m in ('pandas', 'lightgbm', 'mlflow', 'sklearn', 'bentoml') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("leadscore ")


def test_the_audit_default_is_the_command_lines() -> None:
    from leadscore.cli import SUSPICIOUS_AUC
    from leadscore.features.audit import DEFAULT_SUSPICIOUS_AUC

    assert SUSPICIOUS_AUC == DEFAULT_SUSPICIOUS_AUC


def test_load_refuses_a_table_over_its_rejection_limit(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,created_at\nA,2025-01-01\nB,not a date\nC,2025-01-02\n"
    )
    result = runner.invoke(app, ["load", str(tmp_path), "--out", str(tmp_path / "out"), *NOW])
    assert result.exit_code == 1
    assert "1 of 3 rows (33.3%, limit 5%)" in result.output
    assert not (tmp_path / "out" / "customers.parquet").exists()
    assert (tmp_path / "out" / "quarantine" / "customers.rejected.csv").exists()


def test_the_json_lines_example_of_the_docs_validates() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "offer_experiment"
    result = runner.invoke(app, ["validate", str(example / "source.yaml"), *NOW])
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output and "275" in result.output


def test_features_now_is_the_as_of_and_long_steps_log_outside_a_terminal(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    out = tmp_path / "store.parquet"
    result = runner.invoke(
        app, ["features", str(small_crm.directory), "--out", str(out), "--now", "2026-07-02"]
    )
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out)["as_of"].unique().tolist() == [pd.Timestamp("2026-07-02", tz="UTC")]
    assert "done in" in result.output  # not a terminal: a line per step, with its time


def test_importing_the_tracking_adapter_warns_about_no_type_hints() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import leadscore.tracking"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Add type hints" not in done.stderr


def test_serve_without_a_registry_exits_at_once_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("LEADSCORE_API_KEYS_FILE", raising=False)
    monkeypatch.setenv("LEADSCORE_API_KEYS", "a-key-of-twenty-chars")
    result = runner.invoke(app, ["serve", "--port", "3999"])
    assert result.exit_code == 1
    assert "no model registry at" in result.output and "mlflow.db" in result.output
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize(
    ("keys", "needle"), [("", "no API keys"), ("change-me", "shorter than 16 characters")]
)
def test_serve_refuses_missing_or_short_keys(
    keys: str, needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADSCORE_API_KEYS_FILE", raising=False)
    monkeypatch.setenv("LEADSCORE_API_KEYS", keys)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1 and needle in result.output
    assert "secrets.token_urlsafe" in result.output
