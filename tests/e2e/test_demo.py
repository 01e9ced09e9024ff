"""`leadscore demo`: the whole path to a served model, twice, and a clear word when the
port is taken. Run as a user would: the installed command, in a fresh folder."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leadscore.common.processes import stop_group, supervised_popen
from leadscore.store.score_log import current_scores
from leadscore.store.store import Store
from tests.conftest import free_port, listening_on, wait_until_ready
from tests.e2e.conftest import workspace_form

pytestmark = pytest.mark.slow
LEADSCORE = str(Path(sys.executable).parent / "leadscore")


def _demo(cwd: Path, port: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [LEADSCORE, "demo", "--no-serve", "--customers", "4000", "--port", str(port)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_demo_ends_with_an_explained_score_and_runs_twice(tmp_path: Path) -> None:
    first = _demo(tmp_path, free_port())
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    assert "conversion, test AUC" in out and "oracle" in out
    assert "leadscore-conversion v1" in out and "leadscore-nbo v1" in out
    assert "Lead C-" in out
    # no service runs after --no-serve: what to run next instead of a call to nothing
    assert "curl" not in out and "To serve these models" in out
    assert "leadscore serve --port" in out
    # outside a terminal each step says when it starts and ends
    assert re.search(r"\d\d:\d\d:\d\d starting the service\n\d\d:\d\d:\d\d done in", out)
    assert any(word in out for word in ("Tagen", "Kanälen", "Seiten"))  # German reasons
    assert (tmp_path / "mlflow.db").exists() and (tmp_path / "demo-data/service.log").exists()
    # the last days came in live through the intake, and a lead's score rose with them
    assert re.search(r"replayed .* ([\d,]+) events of the last 3 days", out.replace("\n", " "))
    assert re.search(r"Score von \d+ \(vor \d+ Tagen\) auf \d+ gestiegen", out), out[-3000:]
    assert (tmp_path / "leadscore.db").exists()
    # scores a person can read: spread over 0-100 (percentiles of the test snapshots; the
    # store's leads as of its end, after the injected change, had median 35), each grade
    # a band of them
    newest = current_scores(Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}"))
    assert len(newest) >= 500 and 25 <= newest["score"].median() <= 65
    assert newest["score"].quantile(0.9) - newest["score"].quantile(0.1) >= 50
    bands = newest.groupby("grade")["score"].agg(["min", "max"]).sort_index()
    assert all(bands["min"].iloc[:-1].to_numpy() > bands["max"].iloc[1:].to_numpy()), bands
    # the injected change, then the monitor's verdict on the days since the rescore
    flat = re.sub(r"[│\s]+", " ", out)  # the summary table's cells, read as text
    assert "injected change from" in flat and "partner_portal" in flat
    verdict = r"monitoring (Retrain|No need to retrain) leadscore-conversion( v1)?: \S"
    assert re.search(verdict, flat), flat[-3000:]

    # the second run serves until stopped: same store, a new version, the gate decides
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [LEADSCORE, "demo", "--customers", "4000", "--port", str(port)]
    second = supervised_popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    output = b""
    try:
        deadline = time.time() + 600
        while b"Ctrl-C stops it" not in output and time.time() < deadline:
            line = second.stdout.readline()
            if not line and second.poll() is not None:
                break
            output += line
        text = output.decode()
        assert "refused" in text, text[-3000:]  # the same data and seed: no better
        key = re.search(r"API key of this run: (\S+) ", text).group(1)
        assert key != "change-me" and len(key) >= 24  # a fresh key per run, no default
        assert "leadscore-conversion v1" in text and "curl -s http://127.0.0.1:" in text
        response = httpx.post(
            f"http://127.0.0.1:{port}/score",
            json={"leads": [{"customer_id": "C-0000042"}]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()[0]["trend"]["previous_score"] is not None  # from the store
        assert listening_on(port) == {"127.0.0.1"}  # loopback only, as the banner says
        # the workspace's address and a demo login, printed; it signs in and lists leads
        login = re.search(
            r"sales workspace: (\S+/workspace) - sign in as (\S+) with the password (\S+) ",
            text.replace("\n", " "),
        )
        assert login is not None, text[-3000:]
        workspace, user, password = login.groups()
        assert workspace == f"http://127.0.0.1:{port}/workspace"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as browser:
            assert browser.get("/workspace").status_code == 303  # no session: to the sign-in
            form = workspace_form(browser, user=user, password=password)
            signed = browser.post("/workspace/login", data=form)
            assert signed.status_code == 303, signed.text
            listed = browser.get("/workspace")
            assert listed.status_code == 200 and "C-0" in listed.text
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=30)
        assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text
        assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", docs.text)
    finally:
        # SIGTERM, what a supervisor sends (Ctrl-C works alike): the demo alone has its
        # group, and stops its service
        stopped = stop_group(second, timeout=60)
    assert stopped == 0
    with socket.socket() as sock:  # the service went down with the demo
        sock.bind(("0.0.0.0", port))
    _plain_serve_scores_known_customers(tmp_path, env)


def _plain_serve_scores_known_customers(folder: Path, env: dict) -> None:
    """After the demo, `leadscore serve` with no flag serves known customers from the
    store the demo filled in the same folder."""
    port = free_port()
    env = {**env, "LEADSCORE_API_KEYS": "plain-serve-key-5521"}
    command = [LEADSCORE, "serve", "--port", str(port)]
    log = folder / "plain-serve.log"
    process = supervised_popen(
        command, cwd=folder, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log, seconds=180)
        response = httpx.post(
            f"http://127.0.0.1:{port}/score",
            json={"leads": [{"customer_id": "C-0000042"}]},
            headers={"Authorization": "Bearer plain-serve-key-5521"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert "score" in response.json()[0], response.text
    finally:
        stop_group(process, timeout=60)


def test_demo_says_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _demo(tmp_path, port)
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr and f"--port {port + 1}" in result.stderr
    assert not (tmp_path / "demo-data").exists()  # refused before doing any work
