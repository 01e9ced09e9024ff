"""API keys: only a configured bearer key opens the scoring routes."""

from __future__ import annotations

import pytest

from leadscore.serving.keys import authorized


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer key-2", True),
        ("Bearer key-3", False),
        ("key-2", False),
        ("Basic key-2", False),
        ("bearer key-2", True),  # the scheme is case-insensitive (RFC 7235)
        ("BEARER key-1", True),
        ("Bearer ", False),
        ("Bearer key-2 extra", False),
        (None, False),
    ],
)
def test_only_a_configured_bearer_key_is_authorized(header: str | None, expected: bool) -> None:
    assert authorized(header, {"key-1", "key-2"}) is expected
