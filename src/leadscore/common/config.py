"""Strict configuration models and the errors people read when a config is wrong."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from leadscore.common.errors import InputError


class StrictModel(BaseModel):
    """A config or message model that refuses unknown fields and never changes once made."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


def validated(model: type[ModelT], data: Any, *, path: Path, what: str) -> ModelT:
    """``data`` as ``model``, or an InputError naming the file and, per error, the field,
    the valid keys in its place and where a misplaced key belongs."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path}: invalid {what}:\n{validation_lines(exc, model)}") from None


def validation_lines(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """One indented line per pydantic error: where it is (dotted) and what is wrong.

    With the config's ``model``, an unknown key also lists the keys valid in its place and,
    when the key exists elsewhere in the config, where it belongs.
    """
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden" and model is not None:
            message += _unknown_key_hint(model, err["loc"])
        lines.append(f"  - {where}: {message}")
    return "\n".join(lines)


def _unknown_key_hint(model: type[BaseModel], loc: tuple) -> str:
    key = str(loc[-1])
    parent = _model_at(model, loc[:-1])
    hint = ""
    homes = [
        path for path in dict.fromkeys(_paths_of(model, key)) if path.count(".") != len(loc) - 1
    ]
    if homes:
        hint += f"; '{key}' belongs under {' or '.join(homes)}"
    if parent is not None:
        hint += f"; valid keys here: {', '.join(_public_fields(parent))}"
    return hint


def _public_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if not info.exclude]


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows: Optional, unions and Annotated unwrapped."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _members(get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class at ``loc`` of a validation error (None where it is not a model)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    models = [m for m in _members(current) if _is_model(m)]
    return models[0] if len(models) == 1 else None


def _step(annotation: Any, part: Any) -> Any:
    for member in _members(annotation):
        if _is_model(member):
            if part in member.model_fields:
                return member.model_fields[part].annotation
            if part == member.__name__ or part in _tags(member):
                return member  # a union member named in the location
        elif get_origin(member) is dict:
            return get_args(member)[1]
        elif get_origin(member) in (list, tuple) and isinstance(part, int):
            return get_args(member)[0]
    return None


def _tags(model: type[BaseModel]) -> set[Any]:
    """The discriminator values a model answers to (``kind: flag``)."""
    field = model.model_fields.get("kind")
    if field is None or get_origin(field.annotation) is not typing.Literal:
        return set()
    return set(get_args(field.annotation))


def _paths_of(model: type[BaseModel], key: str, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every dotted place in the config where ``key`` is a valid key (dict keys as <name>)."""
    if depth > 4:
        return
    for name in _public_fields(model):
        path = f"{prefix}{name}"
        if name == key:
            yield path
        for member in _members(model.model_fields[name].annotation):
            if get_origin(member) is dict:
                inner, path_inner = get_args(member)[1], f"{path}.<{name.rstrip('s')}>."
            elif get_origin(member) is list:
                inner, path_inner = get_args(member)[0], f"{path}[]."
            else:
                inner, path_inner = member, f"{path}."
            for candidate in _members(inner):
                if _is_model(candidate):
                    yield from _paths_of(candidate, key, path_inner, depth + 1)


def read_yaml(path: Path, *, what: str) -> Any:
    """A YAML file's content, or an InputError naming the file (``what``: 'source config')."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
