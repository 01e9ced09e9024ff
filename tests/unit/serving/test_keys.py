"""API keys: only a configured bearer key opens the scoring routes."""

from __future__ import annotations

import pytest

from leadscore.serving.keys import MIN_KEY_LENGTH, api_keys, authorized, listed_keys, weak_keys


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


def test_listed_keys_keep_their_order_and_api_keys_add_the_file(tmp_path) -> None:
    file = tmp_path / "keys.txt"
    file.write_text("key-from-file\n\n")
    environ = {"LEADSCORE_API_KEYS": " key-b , key-a,,", "LEADSCORE_API_KEYS_FILE": str(file)}
    assert listed_keys(environ) == ["key-b", "key-a"]
    assert api_keys(environ) == {"key-a", "key-b", "key-from-file"}


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        (set(), "no API keys"),
        ({"change-me", "wheel-test-key-0123456"}, "1 API key(s) shorter"),
        ({"x" * MIN_KEY_LENGTH}, "fewer than 6 different characters"),
        ({"ab" * MIN_KEY_LENGTH}, "fewer than 6 different characters"),
    ],
)
def test_weak_keys_say_why(keys: set[str], needle: str) -> None:
    assert needle in (weak_keys(keys) or "")


def test_long_keys_are_not_weak() -> None:
    assert weak_keys({"wheel-test-key-0123456", "k3Y-a8Qz_41c9XbV"}) is None
