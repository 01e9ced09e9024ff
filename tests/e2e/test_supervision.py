"""`leadscore serve` killed at once (SIGKILL), as a supervisor or the OOM killer may: no
server, worker or bulk process is left holding the port, and a new server can listen on
it a few seconds later. The same when its server (BentoML's) is the one killed. Stopped
(SIGTERM), it answers the request in flight and refuses new connections meanwhile."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from leadscore.common.processes import descendants, stop_group, supervised_popen
from leadscore.jobs.run import run_job
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import REPO, free_port, listening_on, port_free_within, wait_until_ready

pytestmark = pytest.mark.slow  # a training and two servers: over a minute
KEY = "supervision-test-key-5f2b"
LEADSCORE = str(Path(sys.executable).parent / "leadscore")


@pytest.fixture(scope="module")
def registry(small_crm: GeneratedCRM, tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("supervision")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:  # the job runs in home, on its registry
        patch.chdir(home)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        config = load_training_config(
            REPO / "training/configs/conversion.yaml", source=small_crm.directory
        )
        run_job(config.model_copy(update={"experiment": "supervision-test"}))
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "LEADSCORE_API_KEYS": KEY,
        "LEADSCORE_NBO_MODEL": "",
    }
    return {"home": home, "env": env}


@pytest.fixture
def serving(registry: dict) -> Iterator[dict]:
    """`leadscore serve` ready, with its processes: BentoML's server first."""
    home, port = registry["home"], free_port()
    log = home / f"serve-{port}.log"
    process = supervised_popen(
        [LEADSCORE, "serve", "--port", str(port)],
        cwd=home,
        env=registry["env"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    tree: list[psutil.Process] = []
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log)
        tree = [psutil.Process(pid) for pid in descendants(process.pid)]
        yield {"process": process, "port": port, "tree": tree, "log": log}
    finally:
        stop_group(process, timeout=10)
        for child in tree:  # never left running, whatever failed (psutil knows reused ids)
            with contextlib.suppress(psutil.Error):
                child.kill()


@pytest.mark.parametrize("killed", ["leadscore serve", "its server"])
def test_killed_at_once_it_leaves_nothing_holding_the_port(serving: dict, killed: str) -> None:
    process, tree = serving["process"], serving["tree"]
    # BentoML's server, its worker (in a session of its own) and the worker's bulk process
    assert len(tree) >= 3 and tree[0].ppid() == process.pid, tree
    os.kill(process.pid if killed == "leadscore serve" else tree[0].pid, signal.SIGKILL)
    started = time.monotonic()
    left = _running_after(tree, seconds=15)
    freed = port_free_within(serving["port"], seconds=5)
    seconds = time.monotonic() - started
    assert process.wait(timeout=15) != 0  # its server gone, leadscore serve ends too
    log = serving["log"].read_text(errors="replace")[-3000:]
    assert not left, (left, log)
    assert freed and seconds < 15, (seconds, log)


def test_stopped_it_answers_the_request_in_flight_and_refuses_new_connections(
    serving: dict,
) -> None:
    process, port = serving["process"], serving["port"]
    body = json.dumps({"leads": [{"customer_id": "C-1"}]}).encode()
    head = (
        f"POST /score HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as held:
        held.sendall(head + body[:5])  # in flight for as long as the rest of it is held back
        time.sleep(1)
        process.send_signal(signal.SIGTERM)  # as a supervisor stops it
        deadline = time.monotonic() + 10
        while listening_on(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        # no one listens any more (BentoML's server kept listening until its worker had
        # ended: new connections waited in a queue no one read, then were reset) ...
        assert not listening_on(port) and process.poll() is None
        with pytest.raises(ConnectionRefusedError):  # ... so a new one is refused at once
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        held.sendall(body[5:])
        answer = b""
        while chunk := held.recv(65536):  # to its end: the server closes the connection
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 200 OK" and b'"customer_id":"C-1"' in rest, answer[:500]
    assert process.wait(timeout=30) == 0


def _running_after(processes: list[psutil.Process], *, seconds: float) -> list[psutil.Process]:
    """Those of ``processes`` still running after up to ``seconds`` (a zombie has ended:
    only its parent's wait is missing, and it holds no port)."""
    deadline = time.monotonic() + seconds
    while True:
        running = [p for p in processes if _running(p)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
