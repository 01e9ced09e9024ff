"""The key reference in docs/ is the one the config models write."""

from __future__ import annotations

from leadscore.data.source_config import TableSource
from leadscore.reference import reference_markdown
from leadscore.training.config import SplitConfig
from tests.conftest import REPO


def test_docs_reference_is_current() -> None:
    written = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    assert written == reference_markdown(), "run `make docs` and commit docs/reference.md"


def test_reference_names_every_key_and_the_split_kinds() -> None:
    text = reference_markdown()
    for key in TableSource.model_fields:
        assert f"| `{key}` |" in text, key
    assert "`time` / `stratified`" in text and SplitConfig.__doc__.split(".")[0] in text
    assert "| `offer_received` | offer |" in text
