"""``leadscore fair-import`` against a real SQLite store: the example export imported
once (again: nothing twice), a mapping and a zone, bad rows named with exit code 1, and
``--help`` without pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.store.fair_scans import fair_scans
from leadscore.store.store import Store

runner = CliRunner()
REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "trade_fair"
FAIR = "Hannover Messe 2026"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'leadscore.db'}"
    monkeypatch.setenv("LEADSCORE_DATABASE_URL", url)
    return Store.open(url)


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["fair-import", *args], env={"COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result.output


def test_the_example_is_imported_once(store: Store) -> None:
    csv = str(EXAMPLE / "hannover-messe-2026-scans.csv")
    mapping = str(EXAMPLE / "scan-source.yaml")
    said = _cli(csv, "--fair", FAIR, "--mapping", mapping)
    assert "20 rows read: 20 scans imported (0 of them imported before, 20 new leads)" in said
    assert "Bewertung" in said  # the column left out is named
    again = _cli(csv, "--fair", FAIR)
    assert "20 scans imported (20 of them imported before, 0 new leads)" in again
    scans = fair_scans(store, FAIR)
    assert len(scans) == 20
    # 02.12.2026 09:12 in Berlin (CET)
    assert scans["ts"].min() == pd.Timestamp("2026-12-02 08:12", tz="UTC")


def test_a_zone_moves_the_moments_and_bad_rows_fail_the_command(
    store: Store, tmp_path: Path
) -> None:
    export = tmp_path / "scans.csv"
    export.write_text("Datum;E-Mail\n03.12.2026 14:05;a@b.de\nmorgen;c@d.de\n", encoding="utf-8")
    said = _cli(str(export), "--fair", "CES", "--timezone", "America/Los_Angeles", code=1)
    assert f"{export}: row 3, Datum: 'morgen' is not a date" in said
    assert "2 rows read: 1 scans imported" in said and "1 rows rejected" in said
    assert fair_scans(store, "CES")["ts"].tolist() == [pd.Timestamp("2026-12-03 22:05", tz="UTC")]
    assert "Mars/Base" in _cli(str(export), "--fair", "CES", "--timezone", "Mars/Base", code=1)
    assert "--fair is empty" in _cli(str(export), "--fair", " ", code=1)


def test_help_does_not_import_pandas() -> None:
    probe = (
        "import sys\nfrom typer.testing import CliRunner\nfrom leadscore.cli import app\n"
        "CliRunner().invoke(app, ['fair-import', '--help'])\n"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
