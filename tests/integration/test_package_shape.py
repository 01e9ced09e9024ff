"""The package's shape: no module over 450 lines, and every module with a test file named
after it (``tests/unit/<package path>/test_<module>.py``), but for the modules listed
below, which have none yet. A new module without one fails here, and so does a listed
module that has gained one (take it off the list)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "src" / "leadscore"
MAX_LINES = 450
# modules whose behaviour is tested elsewhere (by integration or end-to-end tests through
# the command line and the service), or that declare rather than behave; each is a debt
UNTESTED_BY_NAME = frozenset(
    (
        "cli/app",
        "cli/data",
        "cli/demo",
        "cli/models",
        "cli/monitoring",
        "cli/options",
        "cli/scores",
        "cli/service",
        "cli/terminal",
        "cluster",
        "common/errors",
        "data/parsing",
        "data/reading",
        "data/source_config",
        "data/validation",
        "demo",
        "evaluation/conversion",
        "evaluation/nbo",
        "evaluation/offer_policy",
        "evaluation/plots",
        "features/on_dask",
        "features/timeline",
        "jobs/nbo",
        "jobs/promotion",
        "jobs/run",
        "jobs/tracked",
        "models/conversion",
        "models/files",
        "models/nbo_config",
        "models/nbo_explainer",
        "models/propensity",
        "service",
        "serving/command",
        "store/arrow_reads",
        "store/loading",
        "store/schema",
        "synthetic/catalog",
        "synthetic/simulate",
        "synthetic/truth",
        "synthetic/world",
        "tracking",
        "training/conversion",
        "training/nbo",
        "workspace/model_report",
    )
)


def _modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "migrations" not in path.relative_to(PACKAGE).parts
    )


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").as_posix()


def _test_file(path: Path) -> Path:
    relative = path.relative_to(PACKAGE)
    return REPO / "tests" / "unit" / relative.parent / f"test_{relative.name}"


def test_no_module_is_over_450_lines() -> None:
    long = {
        _name(path): count
        for path in _modules()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these along their jobs (lines over {MAX_LINES}): {long}"


def test_every_module_has_a_test_file_named_after_it_but_the_listed_ones() -> None:
    missing = {_name(path) for path in _modules() if not _test_file(path).exists()}
    new = sorted(missing - UNTESTED_BY_NAME)
    assert new == [], f"write tests/unit/<path>/test_<module>.py for: {new}"
    gained = sorted(UNTESTED_BY_NAME - missing)
    assert gained == [], (
        f"these have a test file (or are gone) now: take them off the list: {gained}"
    )
