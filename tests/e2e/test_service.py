"""The BentoML service over real HTTP: a real `bentoml serve`, a real MLflow registry."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest

from leadscore import tracking
from leadscore.jobs.run import run_job
from leadscore.serving.command import serve_command
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import REPO, free_port, write_store

KEY = "test-key-7f3a"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(small_crm: GeneratedCRM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("service")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    old_cwd, old_uri = Path.cwd(), os.environ.get("MLFLOW_TRACKING_URI")
    os.chdir(home)
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        for kind in ("conversion", "nbo"):
            config = load_training_config(
                REPO / "training/configs" / f"{kind}.yaml", source=small_crm.directory
            )
            run_job(config.model_copy(update={"experiment": "service-test"}))
        store = write_store(small_crm, "nbo_v1", home / "store.parquet")
        port = free_port()
        env = {
            **os.environ,
            "LEADSCORE_API_KEYS": f"other-key,{KEY}",
            "LEADSCORE_FEATURE_STORE": str(home / "store.parquet"),
            "LEADSCORE_RELOAD_SECONDS": "1",
            "MLFLOW_TRACKING_URI": uri,
        }
        # a file, not a pipe: an unread pipe fills up and the service blocks on logging
        log = (home / "service.log").open("wb")
        process = subprocess.Popen(
            serve_command(port=port),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError((home / "service.log").read_text())
            time.sleep(0.5)
        else:
            process.kill()
            log_text = (home / "service.log").read_text()
            raise RuntimeError(f"service did not become ready: {log_text}")
        ids = store["customer_id"].astype(str).tolist()
        yield {"url": url, "ids": ids, "source": small_crm, "home": home, "log": process}
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    finally:
        os.chdir(old_cwd)
        if old_uri is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_uri


def _post(service: dict, body: dict, key: str | None = KEY) -> httpx.Response:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{service['url']}/score", json=body, headers=headers, timeout=30)


def test_scoring_needs_a_valid_key_health_does_not(service: dict) -> None:
    body = {"leads": [{"customer_id": service["ids"][0]}]}
    assert _post(service, body, key=None).status_code == 401
    assert _post(service, body, key="wrong").status_code == 401
    assert _post(service, body).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics", "/model-status"):
        assert (
            httpx.get(service["url"] + path, timeout=10, follow_redirects=True).status_code == 200
        ), path


def test_known_customers_get_explained_scores_and_offers(service: dict) -> None:
    ids = service["ids"][:3]
    for lang, word in (("de", "Tagen"), ("en", "days")):
        response = _post(
            service, {"leads": [{"customer_id": i} for i in ids], "lang": lang, "top_k": 4}
        )
        assert response.status_code == 200, response.text
        results = response.json()
        assert [r["customer_id"] for r in results] == ids
        for result in results:
            assert 0 <= result["probability"] <= 1 and result["grade"] in "ABCD"
            assert result["score"] == round(result["probability"] * 100)
            assert 1 <= len(result["reasons"]) <= 4
            assert result["model"] == {
                "name": "leadscore-conversion",
                "version": "1",
                "alias": "champion",
            }
            assert len(result["next_best_offers"]) <= 3
        assert any(word in r["text"] for res in results for r in res["reasons"])


def test_full_record_is_scored(service: dict) -> None:
    lead = {
        "customer_id": "NEW-1",
        "created_at": "2026-05-01T09:00:00+02:00",
        "profile": {
            "industry": "software",
            "company_size": "51-200",
            "country": "DE",
            "lead_source": "webinar",
        },
        "events": [
            {"ts": "2026-06-20T10:00:00Z", "event_type": "pricing_page_view", "channel": "web"},
            {
                "ts": "2026-06-22T10:00:00Z",
                "event_type": "quote_request",
                "offer_id": "O-ANALYTICS",
            },
        ],
    }
    response = _post(service, {"leads": [lead], "lang": "de"})
    assert response.status_code == 200, response.text
    assert response.json()[0]["customer_id"] == "NEW-1"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"leads": []}, "leads"),
        ({"leads": [{}]}, "customer_id"),
        ({"leads": [{"customer_id": "C-0000001"}], "lang": "fr"}, "lang"),
        ({"leads": [{"customer_id": "C-0000001"}], "top_k": -1}, "top_k"),
        ({"leads": [{"customer_id": "NOPE-42"}]}, "NOPE-42"),
        ({"leads": [{"customer_id": "x", "events": [{"ts": "2026-01-01"}]}]}, "event_type"),
        (
            {"leads": [{"events": [{"ts": "2026-01-01T00:00:00Z", "event_type": "foo_bar"}]}]},
            "leads[0].events[0].event_type: 'foo_bar'",
        ),
        ({"leads": [{"customer_id": "C-0000001"}] * 1001}, "leads"),
        ({"lead": []}, "leads"),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_field(service: dict, body: dict, needle: str) -> None:
    response = _post(service, body)
    assert 400 <= response.status_code < 500, response.text
    assert needle in response.text


def test_openapi_document_is_truthful_under_schemathesis(service: dict) -> None:
    """Generated requests (valid and invalid) never get a 5xx, and every response matches
    the documented schema and status codes. A separate process with a hard limit: a hang
    fails the test instead of stalling the suite."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{service['url']}/docs.json",
        "--header",
        f"Authorization: Bearer {KEY}",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "25",
        "--seed",
        "7",
        "--request-timeout",
        "60",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis did not finish in 300 s: {exc.stdout!r:.2000}")
    report = run.stdout[-4000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "/score" in run.stdout and "passed" in run.stdout.lower(), report


def test_new_champion_is_picked_up_under_load_without_failed_requests(service: dict) -> None:
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=service["source"].directory
    ).model_copy(update={"experiment": "service-test", "seed": 3})
    run_job(config)  # version 2, challenger
    ids = service["ids"]
    bodies = [
        {"leads": [{"customer_id": ids[0]}]},  # scored on the event loop
        {"leads": [{"customer_id": c} for c in ids[:200]]},  # scored in a worker thread
    ]
    stop, statuses, versions = threading.Event(), [], set()

    def client(body: dict) -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=service["url"], timeout=30) as http:
            while not stop.is_set():
                response = http.post("/score", json=body, headers=headers)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions.update(r["model"]["version"] for r in response.json())

    clients = [threading.Thread(target=client, args=(bodies[i % 2],)) for i in range(6)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1)
        tracking.move_champion("leadscore-conversion", "2")
        deadline = time.time() + 60
        while time.time() < deadline and "2" not in versions:
            time.sleep(0.2)
        time.sleep(1)  # and keep the load on after the swap
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert "2" in versions and "1" in versions  # served both, under load throughout
    assert len(statuses) > 50 and set(statuses) == {200}
    status = httpx.get(service["url"] + "/model-status/", timeout=10).json()
    assert status["models"]["conversion"] == "2" and status["last_reload_error"] is None


def test_a_broken_champion_is_refused_and_the_old_one_keeps_serving(service: dict) -> None:
    serving = httpx.get(service["url"] + "/readyz", timeout=10).json()["models"]["conversion"]
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=service["source"].directory
    ).model_copy(update={"experiment": "service-test", "seed": 5})
    run_job(config)
    broken = tracking.aliases("leadscore-conversion")["challenger"]
    files = Path(
        mlflow.MlflowClient()
        .get_model_version_download_uri("leadscore-conversion", broken)
        .removeprefix("file://")
    )
    boosters = list(files.rglob("booster.txt"))
    assert boosters
    for booster in boosters:
        booster.unlink()
    tracking.move_champion("leadscore-conversion", broken)
    try:
        deadline, ready = time.time() + 60, {}
        while time.time() < deadline and not ready.get("last_reload_error"):
            ready_response = httpx.get(service["url"] + "/readyz", timeout=10)
            assert ready_response.status_code == 200  # still ready: the old model serves
            ready = ready_response.json()
            time.sleep(0.3)
        assert "booster.txt" in ready["last_reload_error"]
        assert ready["models"]["conversion"] == serving
        response = _post(service, {"leads": [{"customer_id": service["ids"][0]}]})
        assert response.status_code == 200
        assert response.json()[0]["model"]["version"] == serving
        log = (service["home"] / "service.log").read_text(errors="replace")
        assert "reloading the champion failed" in log
    finally:
        tracking.move_champion("leadscore-conversion", serving)


def test_logs_hold_neither_keys_nor_what_clients_sent(service: dict) -> None:
    secret = "Confidential-Industry-4711"
    bad = {"leads": [{"profile": {"industry": secret, "nested": {"x": 1}}}]}
    assert _post(service, bad).status_code == 400
    bad_time = {"leads": [{"created_at": secret, "profile": {"industry": secret}}]}
    assert _post(service, bad_time).status_code == 400
    time.sleep(1)  # the service writes its log lines as it goes
    text = (service["home"] / "service.log").read_text(errors="replace")
    assert "rejected" in text  # the rejections are logged ...
    assert secret not in text  # ... without the values sent
    assert KEY not in text and "other-key" not in text


def test_bento_builds_with_the_locked_versions(tmp_path: Path) -> None:
    """`make bento` packages the service, the library wheel and uv.lock's versions."""
    env = {**os.environ, "BENTOML_HOME": str(tmp_path)}
    run = subprocess.run(
        ["make", "bento"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (bento,) = [p for p in (tmp_path / "bentos" / "leadscore").iterdir() if p.is_dir()]
    # the service is the library's own module, carried in its wheel with the declarations
    assert "leadscore.service:LeadScoring" in (bento / "bento.yaml").read_text()
    wheel = bento / "env/python/wheels/leadscore-0.1.0-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "leadscore/service.py" in names and "leadscore/serving/contract.py" in names
    assert "leadscore/declarations/features/nbo_v1.yaml" in names
    requirements = (bento / "env/python/requirements.txt").read_text()
    assert "lightgbm==" in requirements and "bentoml==1.4." in requirements
    assert "/score" in (bento / "apis" / "openapi.yaml").read_text()
