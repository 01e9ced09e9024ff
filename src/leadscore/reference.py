"""The key reference (``docs/reference.md``), written from the config models themselves.

Every key of a source config, a training config and a feature set, with its type, default
and description, so the documentation cannot drift from what the code accepts. Rewrite it
with ``make docs`` (``python -m leadscore.reference docs/reference.md``); a test checks
that the file in the repository is current.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from leadscore.data.source_config import SourceConfig
from leadscore.data.tables import EVENT_TYPES, TABLES
from leadscore.features.definitions import FeatureSetDefinition
from leadscore.jobs.monitor import MonitorConfig
from leadscore.training.config import TrainingConfig

ROOTS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("Source config", SourceConfig, "how your exports map onto the canonical tables (YAML)"),
    ("Training config", TrainingConfig, "one training job (training/configs/*.yaml)"),
    ("Feature set", FeatureSetDefinition, "a named, versioned feature set (features/*.yaml)"),
    ("Monitoring config", MonitorConfig, "what `leadscore monitor` measures (monitoring.yaml)"),
)


def reference_markdown() -> str:
    """The whole reference as Markdown."""
    parts = [
        "# Reference: every key of the configs",
        "",
        "Written by `make docs` from the pydantic models in `src/leadscore`; do not edit by "
        "hand. Unknown keys are refused with the list of valid ones.",
        "",
        _canonical_tables(),
        _event_types(),
    ]
    for title, model, what in ROOTS:
        parts += [f"## {title}", "", f"{what}.", ""]
        seen: set[type[BaseModel]] = set()
        parts += _model_sections(model, seen)
    return "\n".join(parts).rstrip() + "\n"


def _canonical_tables() -> str:
    lines = ["## Canonical tables", "", "| table | column | kind | required |", "|---|---|---|---|"]
    for table in TABLES.values():
        for column in table.columns:
            required = "yes" if column.required else ""
            lines.append(f"| `{table.name}` | `{column.name}` | {column.kind} | {required} |")
    return "\n".join(lines) + "\n"


def _event_types() -> str:
    lines = [
        "## Canonical event types",
        "",
        "The shipped feature sets read these; map yours onto them with `event_types:` in a "
        "source config. Other types load too and count only in features that name them "
        "(`validate` lists them); the service refuses them unless "
        "`LEADSCORE_UNKNOWN_EVENT_TYPES=accept`. Events without a `channel` get the one "
        "listed here.",
        "",
        "| event type | channel | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{t.name}` | {t.channel} | {t.meaning} |" for t in EVENT_TYPES.values()]
    return "\n".join(lines) + "\n"


def _model_sections(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    doc = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
    lines = [f"### `{model.__name__}`", "", doc, "", "| key | type | default | description |"]
    lines.append("|---|---|---|---|")
    nested: list[type[BaseModel]] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        key = info.alias or name
        lines.append(
            f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | "
            f"{(info.description or '').replace('|', '/')} |"
        )
        nested += [m for m in _models_in(info.annotation) if m not in seen]
    lines.append("")
    for inner in dict.fromkeys(nested):
        lines += _model_sections(inner, seen)
    return lines


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_type_name(a) for a in get_args(annotation))
    if origin is typing.Literal:
        return " / ".join(f"`{a}`" for a in get_args(annotation))
    if origin in (list, tuple, frozenset, set):
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"map {_type_name(key)} → {_type_name(value)}"
    if annotation is type(None):
        return "none"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}`"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: Any) -> str:
    if info.default is PydanticUndefined:
        if info.default_factory is None:
            return "**required**"
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return "(its defaults)"
        return "empty" if not value else f"`{value}`"
    value = info.default
    if isinstance(value, BaseModel):
        return "(its defaults)"
    return f"`{value}`" if value not in (None, "") else "-"


def main(argv: list[str]) -> None:
    """Write the reference to the path given (or print it)."""
    text = reference_markdown()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
