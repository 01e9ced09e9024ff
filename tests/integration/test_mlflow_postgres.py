"""MLflow on a PostgreSQL backend store: train over HTTP, promote, serve the champion.

`.ci/run` starts the PostgreSQL server (Debian's package) and passes its URL in
LEADSCORE_TEST_POSTGRES_URL; without it this module starts its own with `.ci/postgres`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from leadscore.common.processes import stop_group, supervised_popen
from leadscore.serving.command import serve_command
from leadscore.synthetic import GeneratedCRM
from tests.conftest import REPO, free_port, write_store

KEY = "pg-test-key"
pytestmark = pytest.mark.slow


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.5)
    stop_group(process, timeout=5)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def mlflow_server(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("mlflow_server")
    with psycopg.connect(postgres_url) as connection, connection.cursor() as cursor:
        # a fresh schema per run, so the registry starts empty even on a reused server
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    port = free_port()
    log = home / "server.log"
    # the servers run in groups of their own, told to stop should this test run be killed
    process = supervised_popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            postgres_url,
            "--artifacts-destination",
            str(home / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/health", process, log)
        yield {"url": url, "home": str(home)}
    finally:
        stop_group(process, timeout=30)


def _leadscore(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "leadscore"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_run_logged_to_the_postgres_server_is_promoted_and_served(
    mlflow_server: dict[str, str], postgres_url: str, small_crm: GeneratedCRM
) -> None:
    home = Path(mlflow_server["home"])
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server["url"]}
    config = REPO / "training/configs/conversion.yaml"
    source = str(small_crm.directory)
    _leadscore(["train", "conversion", "--config", str(config), "--source", source], env, home)
    promoted = _leadscore(["promote", "conversion", "--config", str(config)], env, home)
    assert "champion" in promoted

    # the registry lives in PostgreSQL, and nothing was written to a local store
    with psycopg.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name, alias, version FROM registered_model_aliases ORDER BY alias")
        assert cursor.fetchall() == [
            ("leadscore-conversion", "challenger", 1),
            ("leadscore-conversion", "champion", 1),
        ]
        cursor.execute("SELECT count(*) FROM runs WHERE status = 'FINISHED'")
        assert cursor.fetchone()[0] == 1
    assert not list(home.glob("*.db")) and not (home / "mlruns").exists()
    assert list((home / "artifacts").rglob("booster.txt"))  # served by the tracking server

    # the service loads the champion through the server
    store = write_store(small_crm, "conversion_v1", home / "store.parquet")
    port = free_port()
    log = home / "service.log"
    service = supervised_popen(
        serve_command(port=port),
        env={
            **env,
            "LEADSCORE_API_KEYS": KEY,
            "LEADSCORE_NBO_MODEL": "",
            "LEADSCORE_FEATURE_STORE": str(home / "store.parquet"),
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/readyz", service, log)
        customer = str(store["customer_id"].iloc[0])
        response = httpx.post(
            f"{url}/score",
            json={"leads": [{"customer_id": customer}], "lang": "de"},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        (result,) = response.json()
        assert result["model"] == {
            "name": "leadscore-conversion",
            "version": "1",
            "alias": "champion",
        }
        assert result["reasons"] and 0 <= result["probability"] <= 1
    finally:
        stop_group(service, timeout=30)
