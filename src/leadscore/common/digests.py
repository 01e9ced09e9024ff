"""File digests of a model folder: written once when a model is saved, checked before any
file of it is loaded, so that a half-copied or changed file is refused with its name
instead of reaching a native library (LightGBM aborts the whole process on a truncated
booster)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from leadscore.common.errors import InputError

MANIFEST_FILE = "files.sha256.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path) -> str:
    """Record every file under ``directory`` (its size and sha256) in its manifest; returns
    the manifest's own sha256, which the registry keeps beside the model version."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)
    entries = {
        p.relative_to(directory).as_posix(): {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in files
    }
    manifest = directory / MANIFEST_FILE
    manifest.write_text(json.dumps({"files": entries}, indent=1, sort_keys=True) + "\n")
    return file_sha256(manifest)


def verify_manifest(directory: Path, *, expected: str | None = None) -> None:
    """An InputError naming the first file under ``directory`` that is missing, or differs
    from what its manifest recorded; also when the manifest itself is missing or differs
    from ``expected`` (the digest recorded at registration)."""
    manifest = directory / MANIFEST_FILE
    if not manifest.exists():
        raise InputError(
            f"{directory}: no {MANIFEST_FILE}, so its files cannot be checked before loading; "
            "the model was saved without file digests (or only partly copied): retrain it "
            "with this version of leadscore"
        )
    if expected is not None and file_sha256(manifest) != expected:
        raise InputError(
            f"{manifest}: differs from the digest recorded when the model was registered; "
            "the model's files were changed after training: register it again or retrain"
        )
    try:
        entries = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{manifest}: not a readable manifest ({exc}); retrain the model"
        ) from None
    for name, entry in sorted(entries.items()):
        path = directory / name
        if not path.is_file():
            raise InputError(f"{path}: missing (the manifest lists it); the copy is incomplete")
        size = path.stat().st_size
        if size != entry["bytes"] or file_sha256(path) != entry["sha256"]:
            raise InputError(
                f"{path}: {size:,} bytes whose digest differs from the one recorded at "
                f"training ({entry['bytes']:,} bytes): the file is truncated or changed; "
                "the model is not loaded (copy it again, or retrain)"
            )
