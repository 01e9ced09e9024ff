"""The model pages answer from the champion the scorer serves: none served, no report;
a registry that cannot be read now, its reason on the page."""

from __future__ import annotations

from types import SimpleNamespace

from leadscore.common.errors import InputError
from leadscore.workspace.model_pages import ModelPages


class Failing:
    def report(self, version: str):
        raise InputError(f"the registry cannot be read for version {version}")


def _pages(scorer, reports) -> ModelPages:
    return ModelPages(
        scorer=lambda: scorer, reports=lambda: reports, user=lambda r: None,
        page=lambda *a, **k: None, refuse=lambda r: None, lang=lambda r: "de", zone="UTC",
    )  # fmt: skip


def test_no_champion_no_report_and_a_registry_away_says_why() -> None:
    assert _pages(None, Failing())._champion_report() == (None, None)
    champion = SimpleNamespace(conversion_info=SimpleNamespace(version="7"))
    report, error = _pages(champion, Failing())._champion_report()
    assert report is None and error == "the registry cannot be read for version 7"
