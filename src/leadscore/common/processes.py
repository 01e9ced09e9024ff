"""Child processes that do not outlive the process that started them.

A server runs in a process group (a session) of its own, so that one signal to the group
stops it with its helpers, and a terminal's Ctrl-C does not reach them twice. Nothing
then ends it when its parent is killed with SIGKILL (``kill -9``, the OOM killer, a test
run cut off): it keeps its port, and the next start fails with "Address already in use".
So on Linux the child asks the kernel for a signal when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere there is no such request, and only the parent's
own clean-up (``stop_group``) ends it.

BentoML's server starts each worker in a session of its own: a signal to the server's
group does not reach them, and a server that dies at once (SIGKILL) leaves them running
and holding the port. ``stop_group`` ends them too, and ``adopt_orphans`` lets a parent
find and end those its child left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PR_SET_CHILD_SUBREAPER = 36
PROC = Path("/proc")


def child_kwargs(death_signal: int = signal.SIGTERM) -> dict[str, Any]:
    """Popen's keyword arguments for a child in a process group of its own that gets
    ``death_signal`` when its parent dies, however it dies (Linux only).

    SIGTERM (the default) lets a server stop as it does for a supervisor: its workers
    finish the requests they hold and end with it. The kernel sends the signal when the
    *thread* that started the child ends: start it from one that lives as long as the
    child (the main thread), never from a pool's thread.
    """
    return {"start_new_session": True, "preexec_fn": _dies_with_parent(death_signal)}


def supervised_popen(
    command: Sequence[str], *, death_signal: int = signal.SIGTERM, **kwargs: Any
) -> subprocess.Popen:
    """``subprocess.Popen(command, **kwargs)`` with ``child_kwargs(death_signal)``."""
    return subprocess.Popen(command, **child_kwargs(death_signal), **kwargs)


def stop_group(process: subprocess.Popen, timeout: float = 30) -> int:
    """Stop ``process`` (started with ``child_kwargs``) and what it started: SIGTERM to its
    process group, up to ``timeout`` seconds for it to end, then SIGKILL to every process
    it still has (those in sessions of their own too) and to its group. Returns its exit
    status."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            # read before the kill: afterwards they are orphans, no longer known as its own
            for pid in descendants(process.pid):
                _signal(pid, signal.SIGKILL)
            process.kill()  # itself too, should it have no group of its own after all
    _signal_group(process.pid, signal.SIGKILL)  # a helper of its group that ignored SIGTERM
    return process.wait()


def adopt_orphans() -> bool:
    """Make this process the one that inherits the orphans of its descendants, so that it
    can still end them (``stop_descendants``) once the child that started them died.
    False, and nothing changed, where the system has no such thing (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    return _prctl(PR_SET_CHILD_SUBREAPER, 1) == 0


def stop_descendants(timeout: float = 30) -> list[int]:
    """End every process this one started and still has (children, their children, and
    orphans adopted through ``adopt_orphans``): SIGTERM, up to ``timeout`` seconds for them
    to end, then SIGKILL. Returns the ids of those there were."""
    pids = descendants(os.getpid())
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        _reap(pids)
        time.sleep(0.1)
    # only those still below this process: an id reaped meanwhile may be another's now
    still = set(descendants(os.getpid()))
    for pid in pids:
        if pid in still and _alive(pid):
            _signal(pid, signal.SIGKILL)
    _reap(pids)
    return pids


def descendants(pid: int) -> list[int]:
    """The ids of the processes below ``pid`` (children first), from /proc; none where
    there is no /proc (not Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.glob("[0-9]*/stat") if PROC.is_dir() else ():
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (name) state ppid ...": the name may hold spaces and parentheses
            fields = entry.read_text().rpartition(")")[2].split()
            parents.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found, queue = [], [pid]
    while queue:
        children = parents.get(queue.pop(0), [])
        found.extend(children)
        queue.extend(children)
    return found


def _dies_with_parent(death_signal: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    # looked up and built here: between fork and exec the child only makes the call
    prctl, arguments = _prctl_call(PR_SET_PDEATHSIG, int(death_signal))

    def request() -> None:  # in the child, between fork and exec
        if prctl(*arguments) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request: no signal comes
            os.kill(os.getpid(), signal.SIGKILL)

    return request


def _prctl(option: int, value: int) -> int:
    prctl, arguments = _prctl_call(option, value)
    return prctl(*arguments)


def _prctl_call(option: int, value: int) -> tuple[Callable[..., int], tuple]:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    # prctl reads its arguments as unsigned longs: passed as such, never as 32-bit ints
    return prctl, (ctypes.c_int(option), *(ctypes.c_ulong(v) for v in (value, 0, 0, 0)))


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    try:  # a zombie is dead: only its parent's wait is missing
        return (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _reap(pids: list[int]) -> None:
    """Wait for those of ``pids`` that are this process's children (adopted orphans
    included) and ended, so that none stays a zombie; never for another child, whose
    Popen would lose its exit status."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
