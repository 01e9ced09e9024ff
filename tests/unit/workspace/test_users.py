from __future__ import annotations

import stat
from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.workspace.users import (
    hash_password,
    load_users,
    needs_rehash,
    put_user,
    rehash_user,
    scrypt_hash,
    verify_password,
)


def test_a_password_is_kept_as_a_salted_hash_that_checks_it() -> None:
    stored = hash_password("correct horse")
    assert "correct horse" not in stored and stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsf", stored)
    assert hash_password("correct horse") != stored  # a new salt each time
    for broken in ("", "scrypt$1$2", "md5$x$y$z$a$b", "scrypt$16384$8$1$!!$??", "$argon2id$x"):
        assert not verify_password("correct horse", broken)
    assert not needs_rehash(stored)


def test_older_hashes_still_check_and_need_a_rehash() -> None:
    old = scrypt_hash("correct horse")
    assert verify_password("correct horse", old) and not verify_password("correct horsf", old)
    assert needs_rehash(old)
    cheaper = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$" + "A" * 43
    assert needs_rehash(cheaper) and needs_rehash("$argon2id$broken")


def test_a_rehash_keeps_the_other_entries_and_the_session_version(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    put_user(path, "anna", "first-password", display_name="Anna B.")
    put_user(path, "anna", "second-password")
    put_user(path, "ben", "ben-password")
    before = load_users(path)
    assert before["anna"].session_version == 1 and before["ben"].session_version == 0
    assert not rehash_user(path, "anna", "wrong-password")
    assert not rehash_user(path, "nobody", "second-password")
    assert rehash_user(path, "anna", "second-password")
    after = load_users(path)
    assert after["ben"] == before["ben"]
    assert after["anna"].password_hash != before["anna"].password_hash
    assert (after["anna"].display_name, after["anna"].session_version) == ("Anna B.", 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["users.yaml"]  # no partial file left


def test_users_are_added_changed_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    assert load_users(path) == {}
    assert put_user(path, "anna", "first-password", display_name="Anna B.")
    assert not put_user(path, "anna", "second-password")
    assert put_user(path, "ben", "ben-password")
    users = load_users(path)
    assert sorted(users) == ["anna", "ben"]
    assert verify_password("second-password", users["anna"].password_hash)
    assert not verify_password("first-password", users["anna"].password_hash)
    text = path.read_text()
    assert "password" in text and "second-password" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "password", "says"),
    [("", "long-enough", "without spaces"), ("a b", "long-enough", "without spaces"),
     ("anna", "short", "at least 8")],
)  # fmt: skip
def test_bad_users_are_refused_saying_why(
    tmp_path: Path, name: str, password: str, says: str
) -> None:
    with pytest.raises(InputError, match=says):
        put_user(tmp_path / "users.yaml", name, password)


def test_a_broken_users_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - {name: anna}\n")
    with pytest.raises(InputError, match=r"users\[0\] needs a name and a password hash"):
        load_users(path)
    path.write_text("users: [unclosed\n")
    with pytest.raises(InputError, match="not YAML"):
        load_users(path)


def test_owner_territories_and_manager_are_kept_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    put_user(path, "anna", "anna-password", owner="Anna Schmidt", territories=("DACH Nord",))
    put_user(path, "anna", "new-password-1")  # a new password keeps what was not given
    put_user(path, "maria", "maria-password", manager=True)
    users = load_users(path)
    anna, maria = users["anna"], users["maria"]
    assert anna.owner_name == "Anna Schmidt" and anna.territories == ("DACH Nord",)
    assert not anna.sees_every_lead and anna.session_version == 1
    assert maria.manager and maria.sees_every_lead and maria.owner_name == "maria"
    put_user(path, "anna", "new-password-2", territories=(), manager=False)
    assert load_users(path)["anna"].sees_every_lead  # no territories: every lead
    path.write_text("users:\n  - {name: x, password: h, territories: [10, Nord]}\n")
    assert load_users(path)["x"].territories == ("10", "Nord")  # unquoted numbers as names
    path.write_text("users:\n  - {name: x, password: h, territories: DACH}\n")
    with pytest.raises(InputError, match=r"users\[0\]\.territories must be a list"):
        load_users(path)
    path.write_text("users:\n  - {name: x, password: h, manager: 'yes'}\n")
    with pytest.raises(InputError, match=r"users\[0\]\.manager must be true or false"):
        load_users(path)
