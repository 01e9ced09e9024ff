"""Where the declarations that ship with leadscore lie: the feature sets (``features/``)
and the training configs (``training/configs/``).

A wheel carries them inside the package (``leadscore/declarations/``, see pyproject.toml);
a checkout (an editable install) has them at its root. A command's default looks in the
working directory first, so a project's own ``features/`` or ``training/configs/`` wins.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parents[1] / "declarations"
_CHECKOUT = Path(__file__).resolve().parents[3]  # src/leadscore/common/ -> the checkout


def declarations_dir() -> Path:
    """The folder holding ``features/`` and ``training/configs/`` as shipped."""
    if (_PACKAGED / "features").is_dir():
        return _PACKAGED
    return _CHECKOUT


def feature_sets_dir() -> Path:
    return declarations_dir() / "features"


def training_config(kind: str) -> Path:
    """The shipped training config of a model kind (``conversion``, ``nbo``)."""
    return declarations_dir() / "training" / "configs" / f"{kind}.yaml"


def in_working_dir_or_shipped(local: Path, shipped: Path) -> Path:
    """``local`` (relative to the working directory) where it exists, else ``shipped``."""
    return local if local.exists() else shipped
