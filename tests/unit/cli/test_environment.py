"""The command line's environment: the store's file checked once, for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.cli.environment import existing_store, missing_store_file
from leadscore.common.errors import InputError


def test_a_missing_sqlite_file_is_named_and_a_server_is_not_checked(tmp_path: Path) -> None:
    there = tmp_path / "leadscore.db"
    assert missing_store_file(f"sqlite:///{there}") == str(there)
    there.touch()
    assert missing_store_file(f"sqlite:///{there}") is None
    assert missing_store_file("postgresql+psycopg://u@host/db") is None


def test_a_command_on_a_missing_store_says_how_to_fill_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(InputError, match="load the leads first"):
        existing_store({"LEADSCORE_DATABASE_URL": url})
    (tmp_path / "none.db").touch()
    assert existing_store({"LEADSCORE_DATABASE_URL": url}) == url
