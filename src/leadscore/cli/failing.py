"""How a command ends when it cannot do its work: exit codes, ``fail`` and the decorator
that turns an ``InputError`` into a message and exit code 1.

Exit codes: 0 success, 1 bad input (with a message naming the problem), 2 a usage error
(typer's own), 3 a promotion the gate refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

from leadscore.common.errors import InputError

BAD_INPUT = 1
USAGE = 2  # typer (click) exits with it on an unknown option or a bad value
# the input was fine, the challenger is not: a script tells this from bad input
GATE_REFUSED = 3

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> NoReturn:
    """Say what is wrong on standard error and exit with ``BAD_INPUT``."""
    # rich is imported here, not at the top, to keep ``import leadscore.cli`` light; a
    # console per message, so the message goes to whatever sys.stderr is now
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=BAD_INPUT)


def exits_on_input_error(command: Callable[P, R]) -> Callable[P, R]:
    """The command, with an ``InputError`` anywhere in it ending in ``fail(message)``.

    Other exceptions pass through. ``functools.wraps`` keeps the signature, the
    annotations and the docstring, which typer reads for the options and the help.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            fail(str(exc))

    return run
