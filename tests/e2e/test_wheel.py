"""The built wheel serves on its own: in a fresh virtual environment that holds the wheel
(and the locked dependencies, but no checkout), `leadscore demo --no-serve` and then
`leadscore serve` start and answer /readyz and /score."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.conftest import REPO, free_port

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
    store = tmp_path / "demo-data" / "features" / "store.parquet"
    log = (tmp_path / "serve.log").open("wb")
    command = [str(leadscore), "serve", "--port", str(port), "--feature-store", str(store)]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
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
        known = httpx.get(f"{url}/model-status/", timeout=5).json()
        assert known["ready"]
        lead = {"customer_id": _a_known_customer(store)}
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
    finally:
        # SIGTERM to leadscore alone, as a supervisor sends it: it stops BentoML's server
        # and workers (in their own process group) and the port comes free
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
            freed = _port_free_within(port, seconds=5)
        finally:
            subprocess.run(["pkill", "-f", f"--port {port}"], check=False)  # never orphaned
            process.kill()
    assert freed, f"port {port} still held 5 s after SIGTERM"


def _port_free_within(port: int, *, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return True
            except OSError:
                time.sleep(0.2)
    return False


def _a_known_customer(store: Path) -> str:
    return str(pd.read_parquet(store, columns=["customer_id"])["customer_id"].iloc[0])
