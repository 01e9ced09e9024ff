from pathlib import Path

import pytest

from leadscore.common.digests import MANIFEST_FILE, file_sha256, verify_manifest, write_manifest
from leadscore.common.errors import InputError


def _model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "offers" / "O-1").mkdir(parents=True)
    (folder / "booster.txt").write_text("tree\n" * 1000)
    (folder / "offers" / "O-1" / "model.json").write_text('{"features": []}\n')
    return folder


def test_an_intact_folder_passes_against_the_recorded_digest(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    digest = write_manifest(folder)
    assert digest == file_sha256(folder / MANIFEST_FILE)
    verify_manifest(folder, expected=digest)


def test_a_truncated_file_is_named_and_refused(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    write_manifest(folder)
    booster = folder / "booster.txt"
    booster.write_bytes(booster.read_bytes()[:100])
    with pytest.raises(InputError, match=r"booster\.txt: 100 bytes .*5,000 bytes.*truncated"):
        verify_manifest(folder)


def test_a_changed_file_of_the_same_size_is_refused(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    write_manifest(folder)
    target = folder / "offers" / "O-1" / "model.json"
    target.write_text('{"features": {}}\n'[: len(target.read_text())].ljust(17))
    with pytest.raises(InputError, match=r"O-1/model\.json"):
        verify_manifest(folder)


def test_a_missing_file_or_manifest_is_refused(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    with pytest.raises(InputError, match=MANIFEST_FILE):
        verify_manifest(folder)
    digest = write_manifest(folder)
    (folder / "booster.txt").unlink()
    with pytest.raises(InputError, match=r"booster\.txt: missing"):
        verify_manifest(folder)
    (folder / "booster.txt").write_text("tree\n" * 1000)
    (folder / MANIFEST_FILE).write_text((folder / MANIFEST_FILE).read_text() + " ")
    with pytest.raises(InputError, match="changed after training"):
        verify_manifest(folder, expected=digest)
