"""The workspace's users: names and scrypt hashes of their passwords in a YAML file.

The file (``workspace_users.yaml`` in the working directory unless the service is told
another) holds no password, only its hash, salt and cost; ``leadscore workspace-user``
adds or changes a user. The CRM's API keys are for machines and open no page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from leadscore.common.errors import InputError

DEFAULT_USERS_FILE = "workspace_users.yaml"
# scrypt's cost: 16 MiB and about 50 ms a check, which makes guessing slow
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (salt and hash in URL-safe base64)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        ["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)],
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made of (in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        given = hashlib.scrypt(
            password.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    display_name: str


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
        users[name] = User(name, str(entry["password"]), str(entry.get("display_name") or name))
    return users


def put_user(path: Path, name: str, password: str, *, display_name: str | None = None) -> bool:
    """Add the user ``name`` to ``path``, or give it a new password; whether it is new. The
    file is written whole, readable by its owner alone."""
    if not name or any(c.isspace() for c in name):
        raise InputError(f"user name {name!r}: give a name without spaces")
    if len(password) < 8:
        raise InputError("the password is too short: give at least 8 characters")
    users = load_users(path)
    new = name not in users
    users[name] = User(name, hash_password(password), display_name or name)
    entries = [
        {"name": u.name, "display_name": u.display_name, "password": u.password_hash}
        for u in users.values()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# leadscore workspace users: password hashes (scrypt), never passwords\n")
        yaml.safe_dump({"users": entries}, handle, sort_keys=False, allow_unicode=True)
    return new
