"""The curl calls of the API and live-loop pages, run as a CRM integrator would copy
them, against a real service: each answers 200 with JSON, and no lead in an answer is an
error. A call the docs show must work as shown."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import KEY

pytestmark = pytest.mark.slow
PAGES = ("docs/api.md", "docs/live-loop.md")
FENCE = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def curl_calls(text: str) -> list[str]:
    """The curl commands of a page's bash blocks, each with its continuation lines."""
    calls = []
    for block in FENCE.findall(text):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
        current: list[str] = []
        for line in lines:
            if not current and not line.lstrip().startswith("curl "):
                continue
            current.append(line)
            command = "\n".join(current)
            try:
                shlex.split(command)
            except ValueError:  # a quote still open: the body goes on
                continue
            if not line.rstrip().endswith("\\"):
                calls.append(command)
                current = []
    return calls


def test_the_pages_hold_the_calls_a_crm_makes() -> None:
    calls = [c for page in PAGES for c in curl_calls((REPO / page).read_text(encoding="utf-8"))]
    paths = {re.search(r"localhost:3000(/[a-z]+)", c).group(1) for c in calls}
    assert {"/score", "/leads", "/events", "/scores"} <= paths, paths


def test_every_curl_call_of_the_docs_answers_as_shown(live: dict) -> None:
    address = live["url"].removeprefix("http://")
    env = {**os.environ, "KEY": KEY, "LEADSCORE_API_KEY": KEY, "LEADSCORE_API_KEYS": KEY}
    for page in PAGES:
        for call in curl_calls((REPO / page).read_text(encoding="utf-8")):
            command = call.replace("localhost:3000", address).replace(
                "curl -s", "curl -s --max-time 60 -w '\\n%{http_code}'", 1
            )
            done = subprocess.run(
                ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=90
            )
            body, _, status = done.stdout.rpartition("\n")
            assert done.returncode == 0 and status == "200", f"{page}: {call}\n{done.stdout}"
            answer = json.loads(body)
            items = answer if isinstance(answer, list) else [answer]
            assert not [i for i in items if "error" in i], f"{page}: {call}\n{body[:2000]}"
