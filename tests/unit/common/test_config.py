"""Strict config models and the messages people read when a config is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from leadscore.common.config import StrictModel, read_yaml, validation_lines
from leadscore.common.errors import InputError


class Example(StrictModel):
    name: str
    size: int = 1


def test_strict_models_refuse_unknown_fields_and_changes() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Example(name="a", colour="red")
    example = Example(name="a")
    with pytest.raises(ValidationError, match="frozen"):
        example.size = 2


def test_validation_lines_name_each_field_by_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        Example.model_validate({"size": "many"})
    lines = validation_lines(caught.value).splitlines()
    assert lines[0].startswith("  - name: ") and "required" in lines[0]
    assert lines[1].startswith("  - size: ") and "integer" in lines[1]


def test_read_yaml_names_the_file_and_what_it_should_be(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.yaml: no such training config"):
        read_yaml(tmp_path / "missing.yaml", what="training config")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(InputError, match=r"broken\.yaml: not valid YAML"):
        read_yaml(broken, what="training config")
    good = tmp_path / "good.yaml"
    good.write_text("a: 1\n")
    assert read_yaml(good, what="training config") == {"a": 1}
