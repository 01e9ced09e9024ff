"""The terminal the commands print to, and how a long step shows that it is working."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@functools.cache  # one console for every command of a run, made when first printed to
def console() -> Console:
    """Standard output, for people: soft-wrapped, so paths and URLs stay copyable."""
    from rich.console import Console  # here, to keep ``import leadscore.cli`` light

    return Console(soft_wrap=True)


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on a terminal; in a log (no terminal), a line when the step starts and
    one when it ends, with the time it took."""
    out = console()
    if out.is_terminal:
        with out.status(message):
            yield
        return
    started = time.perf_counter()
    out.print(f"{datetime.now():%H:%M:%S} {message}", highlight=False)
    yield
    out.print(
        f"{datetime.now():%H:%M:%S} done in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
