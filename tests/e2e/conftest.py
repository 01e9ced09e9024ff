"""A real service on a real store, shared by the end-to-end tests of the live loop and of
the sales workspace: `leadscore load` and `leadscore rescore` of a synthetic CRM, then
`bentoml serve` with alert rules, a webhook receiver and a workspace user."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, sync_playwright

from leadscore.common.processes import stop_group, supervised_popen
from leadscore.jobs.run import run_job
from leadscore.serving.command import serve_command
from leadscore.store.store import Store
from leadscore.synthetic import GeneratedCRM
from leadscore.synthetic.people import REPS
from leadscore.training.config import load_training_config
from leadscore.workspace.users import put_user
from tests.conftest import REPO, free_port, wait_until_ready
from tests.receiver import Receiver

KEY = "live-test-key-41c9"
REP, REP_PASSWORD = "rep", "rep-password-1"
OWNER = REPS["DACH Nord"][0]
SECRET = "whsec_" + "d2ViaG9vay1zZWNyZXQtZm9yLXRoZS1saXZlLXRlc3Q="  # 32 bytes, base64


def _cli(*args: str, cwd: Path, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "leadscore"), *args]
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 or not ok, run.stdout[-3000:] + run.stderr[-3000:]
    return run


@pytest.fixture(scope="session")
def live(small_crm: GeneratedCRM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("live")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    database = f"sqlite:///{home / 'leadscore.db'}"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "LEADSCORE_API_KEYS": KEY,
        "LEADSCORE_RELOAD_SECONDS": "1",
        "LEADSCORE_DATABASE_URL": database,
        "LEADSCORE_WORKSPACE_USERS": str(home / "workspace_users.yaml"),
        "COLUMNS": "200",
        # its own: a BentoML server clears the metrics folder under its home as it starts,
        # so another test's server on the shared one would wipe this one's /metrics
        "BENTOML_HOME": str(home / "bentoml"),
    }
    # one of the synthetic CRM's owners: "meine Leads" has the leads the CRM gives them
    put_user(home / "workspace_users.yaml", REP, REP_PASSWORD, display_name="Rep One", owner=OWNER)
    with pytest.MonkeyPatch.context() as patch:  # the job runs in home, on its registry
        patch.chdir(home)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        config = load_training_config(
            REPO / "training/configs/conversion.yaml", source=small_crm.directory
        )
        run_job(config.model_copy(update={"experiment": "live-test"}))
    loaded = _cli("load", str(small_crm.directory), cwd=home, env=env)
    again = _cli("load", str(small_crm.directory), cwd=home, env=env)
    before = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    rescored = _cli("rescore", "--as-of", before, cwd=home, env=env)
    receiver = Receiver(free_port())
    receiver.start()
    (home / "alerts.yaml").write_text(
        f"webhook: {{url: 'http://127.0.0.1:{receiver.port}/hook', retry_seconds: [1]}}\n"
        "lang: de\n"
        "rules:\n"
        "  - {name: fair_scan, kind: event, event_type: trade_fair_visit, "
        "grades: [A, B, C, D]}\n"
    )
    env = {**env, "LEADSCORE_ALERTS": str(home / "alerts.yaml"), "LEADSCORE_WEBHOOK_SECRET": SECRET}
    port = free_port()
    log = (home / "service.log").open("wb")
    # in a group of its own, told to stop should this test run be killed: never left
    # holding its port
    process = supervised_popen(
        serve_command(port=port), cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, home / "service.log")
        yield {
            "home": home,
            "env": env,
            "url": url,
            "store": Store.open(database),
            "crm": small_crm,
            "load": loaded.stdout,
            "load again": again.stdout,
            "rescore": rescored.stdout,
            "rescored as of": pd.Timestamp(before, tz="UTC"),
            "receiver": receiver,
        }
    finally:
        stop_group(process, timeout=30)
        receiver.stop()


CHROMIUM = "/usr/bin/chromium"  # Debian's package: `.ci/run` installs it; nothing downloads one


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium package (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def workspace_form(browser, **fields: str) -> dict[str, str]:
    """The sign-in form's fields with the token of a sign-in page ``browser`` (an
    httpx.Client on the service) opened: its CSRF cookie is set with it."""
    import re

    page = browser.get("/workspace/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, "no CSRF token on the sign-in page"
    return {"csrf": found.group(1), **fields}
