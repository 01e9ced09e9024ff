"""Children that end with their parent, and groups stopped whole: real processes, a few
seconds in all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from leadscore.common.processes import child_kwargs, descendants, stop_group, supervised_popen

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's prctl")
SRC = str(Path(__file__).resolve().parents[3] / "src")
# a process that starts a child in a session of its own (as BentoML starts its workers),
# says both ids, and then waits; it ignores SIGTERM where told to
STARTER = """
import os, signal, subprocess, sys, time
if "ignore" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "60"], start_new_session=True)
print(os.getpid(), child.pid, flush=True)
time.sleep(60)
"""


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        **kwargs,
    )


def _alive(pid: int) -> bool:
    try:  # a zombie has ended: only its parent's wait is missing
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_a_child_is_signalled_when_its_parent_is_killed_at_once() -> None:
    parent = _python(
        """
        import sys, time
        from leadscore.common.processes import supervised_popen
        child = supervised_popen(["sleep", "60"])
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    child = int(parent.stdout.readline())
    try:
        assert os.getpgid(child) == child != os.getpgid(parent.pid)  # a group of its own
        parent.kill()
        parent.wait()
        assert _gone_within([child], 5)  # SIGTERM from the kernel: sleep ends at it
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_child_gets_the_signal_asked_for() -> None:
    parent = _python(
        """
        import signal, time
        from leadscore.common.processes import supervised_popen
        code = (
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ignoring', flush=True); time.sleep(60)"
        )
        child = supervised_popen(["python3", "-c", code], death_signal=signal.SIGKILL)
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    lines = sorted(parent.stdout.readline().strip() for _ in range(2))  # either order
    assert lines[1] == "ignoring"  # SIGTERM would no longer end it
    child = int(lines[0])
    try:
        parent.kill()
        parent.wait()
        assert _gone_within([child], 5)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_stop_group_ends_the_child_and_those_in_sessions_of_their_own() -> None:
    process = _python(STARTER, **child_kwargs())
    pid, grandchild = map(int, process.stdout.readline().split())
    assert pid in descendants(os.getpid()) and grandchild in descendants(pid)
    started = time.monotonic()
    assert stop_group(process, timeout=5) == -signal.SIGTERM
    assert time.monotonic() - started < 3  # SIGTERM ended it: no wait for the timeout
    # (its own child, in a session of its own, was its to stop, as BentoML's server
    # stops its workers: it runs on here). One that ignores SIGTERM is killed at the
    # timeout, and its child with it (read before it was orphaned).
    stubborn = _python(STARTER, "ignore", **child_kwargs())
    pid, second = map(int, stubborn.stdout.readline().split())
    started = time.monotonic()
    assert stop_group(stubborn, timeout=1) == -signal.SIGKILL
    assert 1 <= time.monotonic() - started < 4
    assert _gone_within([second], 5)
    os.kill(grandchild, signal.SIGKILL)


def test_stop_group_ends_a_child_started_without_a_group_of_its_own() -> None:
    stubborn = _python(STARTER, "ignore")  # in this process's group: no group signal
    _, grandchild = map(int, stubborn.stdout.readline().split())
    assert stop_group(stubborn, timeout=1) == -signal.SIGKILL
    assert _gone_within([grandchild], 5)


def test_orphans_come_to_the_process_that_adopts_them_and_are_ended() -> None:
    # the parent adopts orphans, its child dies at once leaving its own child behind (as
    # BentoML's server leaves its workers), and the parent ends what it was left
    parent = _python(
        f"""
        import os, signal, subprocess, sys
        from leadscore.common.processes import adopt_orphans, stop_descendants
        assert adopt_orphans()
        child = subprocess.Popen([sys.executable, "-c", {STARTER!r}], stdout=subprocess.PIPE)
        pid, grandchild = map(int, child.stdout.readline().split())
        os.kill(pid, signal.SIGKILL)
        child.wait()
        print(grandchild, flush=True)
        print(sorted(stop_descendants(timeout=5)) == [grandchild], flush=True)
        """
    )
    grandchild = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline().strip() == "True"
        assert parent.wait(timeout=10) == 0
        assert not _alive(grandchild)
    finally:
        if _alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_a_child_whose_parent_ended_before_it_asked_is_not_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ended = supervised_popen(["true"])
    assert ended.wait(timeout=10) == 0  # an ordinary child runs and exits as usual
    assert stop_group(ended) == 0  # and stopping one that has ended changes nothing
    # the child finds another parent (init) than the one that started it: that one died
    # between the fork and the request, and no signal would ever come
    monkeypatch.setattr(os, "getppid", lambda: 1)
    orphan = supervised_popen(["sleep", "60"])
    assert orphan.wait(timeout=10) == -signal.SIGKILL
