"""docs/walkthrough.md, run as it is written: its bash blocks, in order, in one shell, in
an empty folder, with the installed command line (the page's port swapped for a free one).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, free_port

PAGE = REPO / "docs" / "walkthrough.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def walkthrough_script(page: str, port: int) -> str:
    """The page's bash blocks as one script that stops at the first failing command."""
    blocks = BLOCK.findall(page)
    body = "\n".join(blocks).replace(":3000", f":{port}").replace("--port 3000", f"--port {port}")
    return "set -euo pipefail\n" + body


def test_the_page_has_every_step_of_the_path() -> None:
    script = walkthrough_script(PAGE.read_text(), 3000)
    steps = ["init", "validate", "train", "promote", "features", "score", "serve", "monitor"]
    assert all(f"leadscore {step}" in script for step in steps), script


def run_notebook(name: str) -> None:
    """Execute notebooks/NAME in a kernel that inherits this process's environment (its
    parameters); the first failing cell fails the test with its traceback."""
    notebook = nbformat.read(REPO / "notebooks" / name, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, resources={"metadata": {"path": str(REPO / "notebooks")}}
    )
    client.execute()


@pytest.mark.slow  # the whole path with a served model, then both notebooks: about 3 min
def test_the_walkthrough_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    script = tmp_path / "walkthrough.sh"
    script.write_text(walkthrough_script(PAGE.read_text(), port))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADSCORE_", "MLFLOW_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # its own process group: the server the page starts in the background goes with it,
    # whatever happens to the test
    shell = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = shell.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
    served = tmp_path / "serve.log"
    log = served.read_text()[-2000:] if served.exists() else ""
    assert shell.returncode == 0, output[-4000:] + log
    # the guesses that make the export readable
    assert 'numbers: {decimal: ",", thousands: "."}' in output
    assert 'drop: ["Abschluss"]' in output
    assert "valid: export/source.yaml" in output
    # trained, registered under the project's own name, served and explained in German
    assert "registered leadscore-export-conversion version 1" in output
    first = json.loads((tmp_path / "scores.jsonl").read_text().splitlines()[0])
    assert first["model"]["name"] == "leadscore-export-conversion" and first["reasons"]
    answers = [line for line in output.splitlines() if line.startswith("[{")]
    known, typo = (json.loads(line)[0] for line in answers[:2])
    assert known["customer_id"] == "C-0000001" and 0 <= known["score"] <= 100
    assert known["model"]["name"] == "leadscore-export-conversion"
    assert typo["error"].startswith("leads[0].profile.Umsatz: 'viel' is not a number")
    assert re.search(r"(Retrain|No need to retrain) leadscore-export-conversion v1", output)

    # the notebooks on this data and this run, by their parameters alone
    monkeypatch.setenv("LEADSCORE_NOTEBOOK_SOURCE", str(tmp_path / "export" / "source.yaml"))
    monkeypatch.setenv("LEADSCORE_NOTEBOOK_MODEL", "leadscore-export-conversion")
    monkeypatch.setenv("LEADSCORE_NOTEBOOK_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_notebook("01-customer-journeys.ipynb")
    run_notebook("02-model-evaluation.ipynb")
