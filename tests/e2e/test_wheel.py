"""The built wheel serves on its own: in a fresh virtual environment that holds the wheel
(and the locked dependencies, but no checkout), `leadscore demo --no-serve` and then
`leadscore serve` start and answer /readyz and /score."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import psutil
import pytest

from leadscore.common.processes import stop_group, supervised_popen
from tests.conftest import REPO, free_port, port_free_within

pytestmark = pytest.mark.slow
KEY = "wheel-test-key-0123456"


def _uv() -> str:
    found = shutil.which("uv") or REPO / ".tools" / "bin" / "uv"
    return str(found)


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed; the dependencies come from the
    project's locked environment through a path file (its own path files, which would put
    the checkout on the path, are not read)."""
    root = tmp_path_factory.mktemp("wheel")
    _run([_uv(), "build", "--wheel", "--out-dir", str(root / "dist")], cwd=REPO, timeout=300)
    (wheel,) = (root / "dist").glob("leadscore-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    Path(purelib, "locked_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([_uv(), "pip", "install", "--python", str(python), "--no-deps", str(wheel)], timeout=300)
    return venv


def test_the_wheel_alone_runs_the_demo_and_serves(installed: Path, tmp_path: Path) -> None:
    python, leadscore = installed / "bin" / "python", installed / "bin" / "leadscore"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "PYTHONPATH")},
        "LEADSCORE_API_KEYS": KEY,
    }
    where = _run(
        [str(python), "-c", "import leadscore; print(leadscore.__file__)"], cwd=tmp_path, env=env
    ).stdout
    assert where.startswith(str(installed)), where  # the wheel's code, not the checkout's
    demo = _run(
        [str(leadscore), "demo", "--no-serve", "--customers", "3000", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    assert "leadscore-conversion v1" in demo.stdout and "Lead C-" in demo.stdout

    port = free_port()
    # known customers from the store the demo filled (its migrations come with the wheel)
    assert (tmp_path / "leadscore.db").exists()
    customers = tmp_path / "demo-data" / "customers.parquet"
    log = (tmp_path / "serve.log").open("wb")
    command = [str(leadscore), "serve", "--port", str(port)]
    process = supervised_popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    tree: list[psutil.Process] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert ready.status_code == 200 and ready.json()["models"]["conversion"] == "1"
        known = httpx.get(f"{url}/model-status", timeout=5).json()
        assert known["ready"]
        docs = httpx.get(f"{url}/docs", timeout=10)  # the page's template is in the wheel
        assert docs.status_code == 200 and "leadscore" in docs.text
        lead = {"customer_id": _a_known_customer(customers)}
        answer = httpx.post(
            f"{url}/score",
            json={"leads": [lead], "lang": "de"},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()
        assert result["customer_id"] == lead["customer_id"] and 0 <= result["score"] <= 100
        assert result["reasons"] and result["model"]["name"] == "leadscore-conversion"
        # SIGTERM under load, to leadscore alone, as a supervisor sends it: it stops
        # BentoML's server and workers (in their own process group), requests in flight
        # finish, and the port comes free
        batch = {"leads": [lead] * 200, "lang": "de"}  # long enough to be in flight
        outcomes, stop = [], threading.Event()
        clients = [
            threading.Thread(target=_keep_sending, args=(url, batch, stop, outcomes))
            for _ in range(4)
        ]
        for client in clients:
            client.start()
        time.sleep(2)
        # BentoML's server, its worker and the worker's bulk scoring process
        tree = psutil.Process(process.pid).children(recursive=True)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        freed = port_free_within(port, seconds=5)
        _, alive = psutil.wait_procs(tree, timeout=10)
        stop.set()
        for client in clients:
            client.join()
    finally:
        stop_group(process, timeout=30)
        for child in tree:  # never orphaned, whatever failed (psutil knows a reused id)
            with contextlib.suppress(psutil.Error):
                child.kill()
    assert freed, f"port {port} still held 5 s after SIGTERM"
    assert len(tree) >= 3 and not alive, (tree, alive)  # none of them left behind
    # a request sent well before the signal was in flight: it was answered, and in full
    before = [o for o in outcomes if o[0] < signalled - 0.3]
    assert len(before) >= 4 and {o[1] for o in before} == {200}, outcomes
    spanned = [o for o in outcomes if o[0] < signalled < o[2] and o[1] == 200]
    assert spanned, outcomes  # in flight when the signal came, and still answered


def _keep_sending(url: str, body: dict, stop: threading.Event, outcomes: list) -> None:
    """Send ``body`` until told to stop; each request's (sent, status or error, answered)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    while not stop.is_set():
        sent = time.monotonic()
        try:
            with httpx.Client(timeout=30) as client:  # a new connection each time
                response = client.post(f"{url}/score", json=body, headers=headers)
            status = response.status_code if len(response.json()) == 200 else "short"
        except (httpx.HTTPError, ValueError) as exc:
            status = type(exc).__name__
        outcomes.append((sent, status, time.monotonic()))
        if not isinstance(status, int):
            return


def _a_known_customer(customers: Path) -> str:
    return str(pd.read_parquet(customers, columns=["customer_id"])["customer_id"].iloc[0])
