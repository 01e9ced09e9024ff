"""Reading the store in a process of its own, for a long job that reads while it computes.

SQLite's Python driver makes a Python tuple of every row it reads, holding the
interpreter's lock all the while: in a thread beside the job's own work it takes turns
with it rather than running beside it. A forked child reads on another core instead and
sends each answer back pickled (numpy columns cost little to send). The child opens
connections of its own (the parent's pool is dropped without closing it, as SQLAlchemy
advises for forks) and leaves by ``os._exit``, so it never closes what it inherited.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

import sqlalchemy as sa

from leadscore.common.errors import InputError

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


class ForkedReader(Generic[T]):
    """``read(ids)`` answered by a forked child; ``close`` (or the ``with`` block's end)
    stops it."""

    def __init__(self, read: Callable[[Sequence[str]], T], engine: sa.Engine) -> None:
        context = multiprocessing.get_context("fork")
        self._here, there = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(there, read, engine), name="leadscore-reader", daemon=True
        )
        self._process.start()
        there.close()

    def __call__(self, ids: Sequence[str]) -> T:
        self._here.send(list(ids))
        try:
            ok, answer = self._here.recv()
        except EOFError:
            raise InputError(
                f"the reading process stopped (exit code {self._process.exitcode}); run the "
                "job again, and if it stops again, report it with the job's log"
            ) from None
        if not ok:
            raise InputError(f"reading the store failed in the reading process:\n{answer}")
        return answer

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):  # gone already
                self._here.send(None)
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
        self._here.close()

    def __enter__(self) -> ForkedReader[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(connection: Connection, read: Callable, engine: sa.Engine) -> None:
    code = 0
    try:
        engine.dispose(close=False)  # the parent's connections stay the parent's
        while (ids := connection.recv()) is not None:
            try:
                answer = (True, read(ids))
            except Exception:
                answer = (False, traceback.format_exc(limit=8))
            connection.send(answer)
    except (EOFError, OSError):
        code = 1
    finally:
        os._exit(code)
