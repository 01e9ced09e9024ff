"""The workspace's users: names and Argon2id hashes of their passwords in a YAML file.

The file (``workspace_users.yaml`` in the working directory unless the service is told
another) holds no password, only its hash, salt and cost; ``leadscore workspace-user``
adds or changes a user. A user's ``session_version`` grows with each new password: a
session made under an older one opens nothing, so a password change ends every session
without the command reaching the store. Hashes of the scrypt kind (before Argon2id)
still check and are rehashed at the next sign-in. The CRM's API keys are for machines
and open no page.

A user may name the ``owner`` they are in the CRM's records (their leads are "meine
Leads") and the sales ``territories`` they work: a user with territories sees only
those territories' leads, on every page and in the export, unless they are a
``manager``; a user with none sees every lead (as every user did before territories).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from leadscore.common.errors import InputError

DEFAULT_USERS_FILE = "workspace_users.yaml"


@cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are RFC 9106's second recommendation (Argon2id, t=3, 64 MiB,
    # p=4): about 60 ms a check here, which makes guessing slow
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The password's Argon2id hash (PHC string: ``$argon2id$v=19$m=...,t=...,p=...$``)."""
    return _hasher().hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made of (Argon2id, or the scrypt
    hashes of before, ``scrypt$N$r$p$salt$hash``), in constant time."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that checked should be made again: scrypt's, or Argon2id's with
    other parameters than the hasher's now."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _kind, n, r, p, salt, digest = stored.split("$")
        expected = base64.urlsafe_b64decode(digest)
        given = hashlib.scrypt(
            password.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**27,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def scrypt_hash(password: str, *, n: int = 2**14, salt: bytes | None = None) -> str:
    """A hash of the scrypt kind the users files held before Argon2id (for tests of the
    rehash and for reading old files)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return "$".join(["scrypt", str(n), "8", "1", _b64(salt), _b64(digest)])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    display_name: str
    session_version: int = 0
    owner: str | None = None  # as the CRM's records name them: whose leads are "mine"
    territories: tuple[str, ...] = ()
    manager: bool = False

    @property
    def sees_every_lead(self) -> bool:
        return self.manager or not self.territories

    @property
    def owner_name(self) -> str:
        return self.owner or self.display_name


def load_users(path: Path) -> dict[str, User]:
    """The users of ``path`` by name (none where the file does not exist); an InputError
    naming the entry that is not a user."""
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not YAML ({exc}); fix it or add users again") from None
    entries = raw.get("users", []) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected 'users:' with a list of users")
    users = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("password"):
            raise InputError(
                f"{path}: users[{i}] needs a name and a password hash; add it with "
                "`leadscore workspace-user NAME`"
            )
        name = str(entry["name"])
        version = entry.get("session_version", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise InputError(f"{path}: users[{i}].session_version must be a whole number")
        territories = entry.get("territories") or []
        if not isinstance(territories, list) or not all(
            isinstance(t, str | int) and str(t) for t in territories
        ):
            raise InputError(f"{path}: users[{i}].territories must be a list of territory names")
        territories = [str(t) for t in territories]  # 10, unquoted in YAML, is "10"
        if not isinstance(entry.get("manager", False), bool):
            raise InputError(f"{path}: users[{i}].manager must be true or false")
        users[name] = User(
            name,
            str(entry["password"]),
            str(entry.get("display_name") or name),
            version,
            owner=str(entry["owner"]) if entry.get("owner") else None,
            territories=tuple(territories),
            manager=bool(entry.get("manager", False)),
        )
    return users


def put_user(
    path: Path,
    name: str,
    password: str,
    *,
    display_name: str | None = None,
    owner: str | None = None,
    territories: tuple[str, ...] | None = None,
    manager: bool | None = None,
) -> bool:
    """Add the user ``name`` to ``path``, or give it a new password (which ends every
    session of the user: its session version grows); whether it is new. What is not
    given (None) stays as it was."""
    if not name or any(c.isspace() for c in name):
        raise InputError(f"user name {name!r}: give a name without spaces")
    if len(password) < 8:
        raise InputError("the password is too short: give at least 8 characters")
    users = load_users(path)
    old = users.get(name)
    users[name] = User(
        name,
        hash_password(password),
        display_name or (old.display_name if old is not None else name),
        0 if old is None else old.session_version + 1,
        owner=owner if owner is not None else (old.owner if old is not None else None),
        territories=(territories if territories is not None else (old.territories if old else ())),
        manager=manager if manager is not None else (old.manager if old else False),
    )
    _write(path, users)
    return old is None


def rehash_user(path: Path, name: str, password: str) -> bool:
    """Give ``name`` a hash of today's kind of the password it just signed in with,
    keeping its session version and every other entry; whether the file changed (not
    where the user is gone or was changed since)."""
    users = load_users(path)
    user = users.get(name)
    if user is None or not verify_password(password, user.password_hash):
        return False
    users[name] = replace(user, password_hash=hash_password(password))
    _write(path, users)
    return True


def _write(path: Path, users: dict[str, User]) -> None:
    """The file written whole, readable by its owner alone, and swapped in at once: a
    reader sees the old file or the new one, never half of one."""
    entries = [
        {
            "name": u.name,
            "display_name": u.display_name,
            "password": u.password_hash,
            "session_version": u.session_version,
            **({"owner": u.owner} if u.owner else {}),
            **({"territories": list(u.territories)} if u.territories else {}),
            **({"manager": True} if u.manager else {}),
        }
        for u in users.values()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(
                "# leadscore workspace users: password hashes (Argon2id), never passwords\n"
            )
            yaml.safe_dump({"users": entries}, handle, sort_keys=False, allow_unicode=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
