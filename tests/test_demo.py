"""`leadscore demo`: the whole path to a served model, twice, and a clear word when the
port is taken. Run as a user would: the installed command, in a fresh folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
LEADSCORE = str(Path(sys.executable).parent / "leadscore")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _demo(cwd: Path, port: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [LEADSCORE, "demo", "--no-serve", "--customers", "4000", "--port", str(port)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_demo_ends_with_an_explained_score_and_runs_twice(tmp_path: Path) -> None:
    first = _demo(tmp_path, _free_port())
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    assert "conversion, test AUC" in out and "oracle" in out
    assert "leadscore-conversion v1" in out and "leadscore-nbo v1" in out
    assert "Lead C-" in out and "curl -s http://127.0.0.1:" in out
    assert any(word in out for word in ("Tagen", "Kanälen", "Seiten"))  # German reasons
    assert (tmp_path / "mlflow.db").exists() and (tmp_path / "demo-data/service.log").exists()

    second = _demo(tmp_path, _free_port())  # same store: a second version, the gate decides
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "refused" in second.stdout  # the same data and seed: no better, champion stays
    assert "leadscore-conversion v1" in second.stdout


def test_demo_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _demo(tmp_path, port)
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr and f"--port {port + 1}" in result.stderr
    assert not (tmp_path / "demo-data").exists()  # refused before doing any work
