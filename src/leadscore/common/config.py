"""Strict configuration models and the errors people read when a config is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from leadscore.common.errors import InputError


class StrictModel(BaseModel):
    """A config or message model that refuses unknown fields and never changes once made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validation_lines(exc: ValidationError) -> str:
    """One indented line per pydantic error: where it is (dotted) and what is wrong."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  - {where}: {err['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path, *, what: str) -> Any:
    """A YAML file's content, or an InputError naming the file (``what``: 'source config')."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
