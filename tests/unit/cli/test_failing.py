"""The command line's one way to fail: an InputError becomes its message and exit code 1."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from leadscore.cli.failing import BAD_INPUT, exits_on_input_error
from leadscore.common.errors import InputError

runner = CliRunner()


def _app(body: type[Exception] | None) -> typer.Typer:
    """An app of one command that raises ``body`` (or succeeds), as a command would."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)

    @app.command()
    @exits_on_input_error
    def run(name: str = typer.Option("x", help="a name")) -> None:
        """Do nothing, or fail."""
        if body is not None:
            raise body(f"{name}: no such thing; give another --name")
        typer.echo(f"ran {name}")

    return app


def test_an_input_error_gives_exit_1_and_its_message_on_stderr() -> None:
    result = runner.invoke(_app(InputError), ["--name", "lead.csv"])
    assert result.exit_code == BAD_INPUT == 1
    assert "error:" in result.stderr
    assert "lead.csv: no such thing; give another --name" in result.stderr
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_other_exceptions_pass_through() -> None:
    result = runner.invoke(_app(KeyError), [])
    assert isinstance(result.exception, KeyError)
    assert "error:" not in result.stderr


def test_the_command_keeps_its_options_help_and_result() -> None:
    app = _app(None)
    assert runner.invoke(app, ["--name", "y"]).stdout == "ran y\n"
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "Do nothing, or fail." in help_text and "a name" in help_text


def test_the_wrapper_returns_what_the_function_returns() -> None:
    assert exits_on_input_error(lambda n: n + 1)(1) == 2
    with pytest.raises(ValueError):
        exits_on_input_error(int)("not a number")
