"""Whether the champions can be served, in the words `leadscore serve` and the service's
start-up both use."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore import tracking
from leadscore.scoring.champions import unservable


def test_no_registry_is_nothing_to_serve_and_none_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    said = unservable("leadscore-conversion", "leadscore-nbo")
    assert said is not None and said.startswith("nothing to serve: no model registry at")
    assert not (tmp_path / "mlflow.db").exists()


def test_a_broken_champion_is_named_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracking, "missing_champion", lambda name: None)
    broken = {"leadscore-nbo": "booster.txt: truncated"}
    monkeypatch.setattr(tracking, "broken_champion", broken.get)
    said = unservable("leadscore-conversion", "leadscore-nbo")
    assert said == (
        "the champion of leadscore-nbo cannot be served: booster.txt: truncated; move the "
        "champion alias to a good version (leadscore promote --rollback, or --version N)"
    )
    assert unservable("leadscore-conversion", None) is None  # no offer model: none to check
