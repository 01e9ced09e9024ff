"""Work on the store in processes of their own, for a long job whose steps hold the
interpreter.

SQLite's Python driver makes a Python tuple of every row it reads, holding the
interpreter's lock, and so does pandas making columns of them: threads of one process
doing this take turns with the rest of the job instead of running beside it. A forked
child works on another core and sends its answer back pickled. It opens connections of
its own (the parent's pool is dropped without closing it, as SQLAlchemy advises for
forks) and leaves by ``os._exit``, so it never closes what it inherited; SQLite
serialises the writers of its processes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

import sqlalchemy as sa

from leadscore.common.errors import InputError

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


class ForkedWorker(Generic[T]):
    """``work(ids)`` done by a forked child, one call at a time; ``close`` (or the
    ``with`` block's end) stops it."""

    def __init__(self, work: Callable[[Sequence[str]], T], engine: sa.Engine) -> None:
        context = multiprocessing.get_context("fork")
        self._here, there = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(there, work, engine), name="leadscore-worker", daemon=True
        )
        self._process.start()
        there.close()
        self._asking = threading.Lock()  # one question at a time on the pipe

    def __call__(self, ids: Sequence[str]) -> T:
        with self._asking:
            self._here.send(list(ids))
            try:
                ok, answer = self._here.recv()
            except EOFError:
                raise InputError(
                    f"a worker process stopped (exit code {self._process.exitcode}); run the "
                    "job again, and if it stops again, report it with the job's log"
                ) from None
        if not ok:
            raise InputError(f"the work failed in a worker process:\n{answer}")
        return answer

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):  # gone already
                self._here.send(None)
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
        self._here.close()

    def __enter__(self) -> ForkedWorker[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(connection: Connection, work: Callable, engine: sa.Engine) -> None:
    code = 0
    try:
        engine.dispose(close=False)  # the parent's connections stay the parent's
        while (ids := connection.recv()) is not None:
            try:
                answer = (True, work(ids))
            except Exception:
                answer = (False, traceback.format_exc(limit=8))
            connection.send(answer)
    except (EOFError, OSError):
        code = 1
    finally:
        os._exit(code)
