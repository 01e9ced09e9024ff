"""The layering contract (pyproject.toml, checked by lint-imports in `make test`) holds for
the package and catches an import that goes against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts over the package copied into ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "src" / "leadscore", tmp_path / "src" / "leadscore")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a lower layer reaching up: loading data may not know the Scorer
        ("data/upward.py", "from leadscore.scoring import scorer", "layered"),
        # the MLflow adapter may depend on common alone
        ("tracking_extra.py", "from leadscore.models import files", "layered"),
        # scoring is beneath the service and the workspace that are typed against it
        ("scoring/upward.py", "from leadscore.serving import dispatch", "layered"),
        # two compose-layer siblings stay independent
        ("serving/uses_jobs.py", "from leadscore.jobs import run", "layered"),
        # two modules of one package importing each other
        ("models/cycle_a.py", "from leadscore.models import cycle_b", "cycles"),
    ],
)
def test_an_import_against_the_layering_breaks_a_contract(
    tree: Path, module: str, line: str, broken: str
) -> None:
    package = tree / "src" / "leadscore"
    (package / module).write_text(f'"""A deliberate mistake."""\n\n{line}\n')
    if module == "models/cycle_a.py":
        (package / "models" / "cycle_b.py").write_text("from leadscore.models import cycle_a\n")
    if module == "tracking_extra.py":  # make it part of tracking's own package
        shutil.move(package / "tracking.py", package / "tracking_module.py")
        (package / "tracking").mkdir()
        shutil.move(package / "tracking_module.py", package / "tracking" / "__init__.py")
        shutil.move(package / module, package / "tracking" / "extra.py")
    result = _lint(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken in result.stdout.split("Broken contracts")[-1]


def test_a_package_outside_the_layers_is_refused(tree: Path) -> None:
    (tree / "src" / "leadscore" / "newthing").mkdir()
    (tree / "src" / "leadscore" / "newthing" / "__init__.py").write_text("")
    result = _lint(tree)
    assert result.returncode != 0
    assert "newthing" in result.stdout + result.stderr
