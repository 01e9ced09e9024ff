"""The BentoML service over real HTTP: a real `bentoml serve`, a real MLflow registry."""

from __future__ import annotations

import json
import os
import re
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

import leadscore
from leadscore import tracking
from leadscore.common.processes import stop_group, supervised_popen
from leadscore.jobs.run import run_job
from leadscore.serving.command import serve_command
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import REPO, free_port, listening_on, wait_until_ready, write_store

KEY = "test-key-7f3a"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(small_crm: GeneratedCRM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("service")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:  # the service's test runs in home
        patch.chdir(home)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
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
            "BENTOML_HOME": str(home / "bentoml"),  # its own metrics folder (conftest's)
        }
        # a file, not a pipe: an unread pipe fills up and the service blocks on logging
        log = (home / "service.log").open("wb")
        # in a group of its own, and told to stop should this test run be killed
        process = supervised_popen(
            serve_command(port=port), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(url, process, home / "service.log")
            ids = store["customer_id"].astype(str).tolist()
            yield {"url": url, "ids": ids, "source": small_crm, "home": home, "log": process}
        finally:
            stop_group(process, timeout=30)


def _post(service: dict, body: dict, key: str | None = KEY) -> httpx.Response:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{service['url']}/score", json=body, headers=headers, timeout=30)


def test_bentoml_serve_listens_on_this_machine_alone_by_default(service: dict) -> None:
    # the fixture's `bentoml serve` has no --host: the service's own default, as
    # `leadscore serve` has it (LEADSCORE_HOST changes both)
    assert listening_on(int(service["url"].rsplit(":", 1)[1])) == {"127.0.0.1"}


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
            # the score is a percentile and the grade its band (default shares)
            cuts = {"A": 90, "B": 70, "C": 40, "D": 0}
            assert result["grade"] == next(g for g, cut in cuts.items() if result["score"] >= cut)
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
        ({"leads": [{"customer_id": "x", "events": [{"ts": "2026-01-01"}]}]}, "event_type"),
        ({"leads": [{"customer_id": "C-0000001"}] * 1001}, "leads"),
        ({"lead": []}, "leads"),
        ({"leads": [{"events": [{"ts": "1" * 1_000_000, "event_type": "x"}]}]}, "ts"),
        ({"leads": [{"profile": {f"k{i}": 1 for i in range(100_000)}}]}, "profile"),
        ({"leads": [{"customer_id": "C-1", "profile": {"x": "y" * 5000}}]}, "profile.x"),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_field(service: dict, body: dict, needle: str) -> None:
    response = _post(service, body)
    assert 400 <= response.status_code < 500, response.text
    assert needle in response.json()["detail"] + response.json()["error"]
    # the same body padded past LEADSCORE_BULK_BYTES goes to the bulk process: same answer
    padded = json.dumps(body).encode() + b" " * 20_000
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    bulk = httpx.post(f"{service['url']}/score", content=padded, headers=headers, timeout=30)
    assert (bulk.status_code, bulk.json()) == (response.status_code, response.json())


def test_infinity_is_refused_by_field(service: dict) -> None:
    body = '{"leads": [{"events": [{"ts": "2026-06-01T00:00:00Z", "event_type": "purchase", '
    body += '"value": Infinity}]}]}'
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    response = httpx.post(f"{service['url']}/score", content=body, headers=headers, timeout=30)
    assert response.status_code == 400 and "leads.0.events.0.value" in response.json()["detail"]


def test_a_lead_that_cannot_be_scored_gets_an_error_item_and_the_others_are_scored(
    service: dict,
) -> None:
    known = service["ids"][0]
    leads = [
        {"customer_id": known},
        {"customer_id": "NOPE-42"},
        {"created_at": "9999-01-01T00:00:00Z", "profile": {"industry": "software"}},
        {"events": [{"ts": "2026-01-01T00:00:00Z", "event_type": "foo_bar"}]},
        {"profile": {"industry": "Confidential-4711"}},
        {"profile": {"favourite_colour": "blue"}},
        {"customer_id": "DUP", "profile": {"industry": "software"}},
        {"customer_id": "DUP", "profile": {"industry": "retail"}},  # one id twice: two leads
        {"customer_id": "EMPTY", "profile": {}},  # nothing known: not scored, no offer
    ]
    response = _post(service, {"leads": leads})
    assert response.status_code == 200, response.text
    items = response.json()
    padded = json.dumps({"leads": leads}).encode() + b" " * 20_000  # to the bulk process
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    bulk = httpx.post(f"{service['url']}/score", content=padded, headers=headers, timeout=30)
    assert bulk.status_code == 200
    inline_first, bulk_first = items[0], bulk.json()[0]
    # a known lead: the same result, scored at its own moment
    assert inline_first.pop("scored_at") <= bulk_first.pop("scored_at")
    assert bulk_first == inline_first
    # records are scored as of the moment they come, so only their errors must be equal
    assert [_timeless(i.get("error")) for i in bulk.json()] == [
        _timeless(i.get("error")) for i in items
    ]
    ids = [i["customer_id"] for i in items]
    assert ids == [known, "NOPE-42", None, None, None, None, "DUP", "DUP", "EMPTY"]
    assert items[8]["status"] == "not_enough_data" and "grade" not in items[8]
    assert "probability" in items[0] and "probability" in items[6] and "probability" in items[7]
    errors = [items[i]["error"] for i in range(1, 6)]
    assert errors[0].startswith("leads[1].customer_id: not a customer")
    assert errors[1].startswith("leads[2].created_at: 9999-01-01") and "future" in errors[1]
    assert errors[2].startswith("leads[3].events[0].event_type: 'foo_bar'")
    assert errors[3].startswith("leads[4].profile.industry: 'Confidential-4711'")
    assert errors[4].startswith("leads[5].profile.favourite_colour: not a profile field")


def _timeless(error: str | None) -> str | None:
    return None if error is None else re.sub(r"\(now is [^)]*\)", "(now)", error)


def test_bodies_over_the_limit_or_not_json_are_refused_before_they_are_read(
    service: dict,
) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    url = f"{service['url']}/score"
    big = httpx.post(url, content=b"[" + b" " * (5 * 1024 * 1024) + b"]", headers=headers)
    assert big.status_code == 413 and "LEADSCORE_MAX_BODY_BYTES" in big.json()["error"]

    def chunks():  # no Content-Length: counted as it comes
        for _ in range(80):
            yield b" " * 65536

    streamed = httpx.post(url, content=chunks(), headers=headers, timeout=30)
    assert streamed.status_code == 413
    for media in ("multipart/form-data", "text/plain", "application/x-www-form-urlencoded"):
        response = httpx.post(
            url, content=b"{}", headers={**headers, "Content-Type": media}, timeout=10
        )
        assert response.status_code == 415, (media, response.text)
        assert "application/json" in response.json()["error"]
    unauthenticated = httpx.post(url, content=b"x" * 10, headers={"Content-Type": "text/plain"})
    assert unauthenticated.status_code == 401  # the key is checked before anything else


def test_the_worst_bounded_requests_do_not_hold_up_health_checks(service: dict) -> None:
    worst = [
        {"leads": [{"events": [{"ts": "1" * 1_000_000, "event_type": "x"}]}]},
        {"leads": [{"profile": {f"k{i}": 1 for i in range(100_000)}}]},
    ]
    stop, slowest = threading.Event(), []

    def send_worst() -> None:
        while not stop.is_set():
            for body in worst:
                _post(service, body)

    sender = threading.Thread(target=send_worst)
    sender.start()
    try:
        time.sleep(0.5)
        for _ in range(20):
            started = time.perf_counter()
            assert httpx.get(service["url"] + "/healthz", timeout=10).status_code == 200
            slowest.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        stop.set()
        sender.join()
    assert max(slowest) < 1.0, slowest  # was 11-33 s when such requests froze the loop


def test_pages_are_leadscores_and_make_no_outside_request(service: dict) -> None:
    for path in ("/", "/docs"):
        page = httpx.get(service["url"] + path, timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "leadscore" in page.text and "BentoML" not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        outside = re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", page.text)
        assert outside == [], outside
    assert "/docs" in httpx.get(service["url"] + "/", timeout=10).text
    docs = httpx.get(service["url"] + "/docs", timeout=10).text  # drawn by Swagger UI:
    assert '<script src="/docs/assets/swagger-ui-bundle.js">' in docs  # tests/e2e/test_api_docs
    bundle = httpx.get(service["url"] + "/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.content


def test_the_openapi_document_is_leadscores_and_complete(service: dict) -> None:
    doc = httpx.get(service["url"] + "/docs.json", timeout=10).json()
    assert doc["info"]["title"] == "leadscore" and doc["info"]["version"] == leadscore.__version__
    assert "bentoml" not in json.dumps(doc["info"]).lower() and "contact" not in doc["info"]
    score = doc["paths"]["/score"]["post"]
    assert score["security"] == [{"bearer": []}] and score["requestBody"]["required"] is True
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"200", "400", "401", "413", "415"} <= set(score["responses"])
    assert {"/model-status", "/", "/docs", "/docs.json"} <= set(doc["paths"])
    for operations in doc["paths"].values():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                if code >= "400" and "content" in response:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, code
    lead = doc["components"]["schemas"]["Lead"]
    assert any(rule["required"] == ["customer_id"] for rule in lead["anyOf"])
    profile = lead["properties"]["profile"]["anyOf"][0]
    assert profile["additionalProperties"] is False
    assert "software" in profile["properties"]["industry"]["anyOf"][0]["enum"]
    text, number = doc["components"]["schemas"]["Event"]["properties"]["ts"]["anyOf"]
    assert text["format"] == "date-time" and text["maxLength"] == 64  # or epoch seconds / ms
    assert number["type"] == "number"
    assert doc["openapi"] == "3.1.0" and "lead.grade_reached" in doc["webhooks"]
    for path in ("/model-status", "/model-status/"):
        status = httpx.get(service["url"] + path, timeout=10)
        assert status.status_code == 200 and status.json()["ready"] is True, path
        assert status.json()["bulk_scoring"] == "ready"  # it answered the tests before


def test_every_error_has_one_shape_and_unknown_paths_are_one_metrics_series(
    service: dict,
) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    for i in range(200):
        missing = httpx.get(f"{service['url']}/no-such-{i}", headers=headers, timeout=10)
        assert missing.status_code == 404 and "/docs" in missing.json()["error"]
    wrong_method = httpx.get(f"{service['url']}/score", headers=headers, timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]
    metrics = httpx.get(service["url"] + "/metrics", timeout=10).text
    assert "no-such-" not in metrics and 'endpoint="/(unknown)"' in metrics


def _schemathesis(service: dict, *, key: str | None, examples: int, checks: str) -> str:
    """One seeded schemathesis run over the whole document, in its own process with a hard
    limit (a hang fails the test instead of stalling the suite); returns its report."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{service['url']}/docs.json",
        *(["--header", f"Authorization: Bearer {key}"] if key else []),
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(examples),
        "--seed",
        "7",
        "--request-timeout",
        "60",
        "--no-shrink",
        "--generation-database",
        "none",
        "--checks",
        checks,
        # the store's routes: this service has no store; tests/e2e/test_live_service.py
        "--exclude-path-regex",
        "^/(events|leads|scores)",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=420)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis did not finish in 420 s: {exc.stdout!r:.2000}")
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    selected = re.search(r"(\d+) selected / (\d+) total", run.stdout)
    assert selected and selected.group(1) == "9", report
    cases = re.search(r"([\d,]+) generated, ([\d,]+) passed\n", run.stdout)
    assert cases and cases.group(1) == cases.group(2), report  # none failed, none skipped
    return run.stdout


def test_openapi_document_is_truthful_under_schemathesis(service: dict) -> None:
    """At least 1,000 generated requests to /score (valid and invalid) with a key: no 5xx,
    every response as documented, and no request valid by the schema refused; without a
    key, every protected route answers its documented 401."""
    report = _schemathesis(
        service,
        key=KEY,
        examples=1000,
        checks="not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance,positive_data_acceptance",
    )
    (cases,) = re.findall(r"([\d,]+) generated", report)
    assert int(cases.replace(",", "")) >= 1000, report[-3000:]
    assert "No issues found" in report, report[-3000:]
    keyless = _schemathesis(
        service,
        key=None,
        examples=100,
        checks="not_a_server_error,response_schema_conformance,status_code_conformance",
    )
    assert "1 operation returned only 401/403 responses" in keyless  # /score, documented


def test_new_champion_is_picked_up_under_load_without_failed_requests(service: dict) -> None:
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=service["source"].directory
    ).model_copy(update={"experiment": "service-test", "seed": 3})
    run_job(config)  # version 2, challenger
    ids = service["ids"]
    bodies = {
        "loop": {"leads": [{"customer_id": ids[0]}]},  # scored on the event loop
        "bulk": {"leads": [{"customer_id": c} for c in ids[:200]]},  # in the bulk process
        # ... validated there too: a body over LEADSCORE_BULK_BYTES
        "bulk body": {"leads": [{"customer_id": c} for c in ids[:700]]},
    }
    stop, statuses = threading.Event(), []
    versions: dict[str, set[str]] = {name: set() for name in bodies}

    def client(name: str) -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=service["url"], timeout=30) as http:
            while not stop.is_set():
                response = http.post("/score", json=bodies[name], headers=headers)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions[name].update(r["model"]["version"] for r in response.json())

    names = ["loop", "loop", "loop", "loop", "bulk", "bulk body"]
    clients = [threading.Thread(target=client, args=(name,)) for name in names]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1)
        tracking.move_champion("leadscore-conversion", "2")
        deadline = time.time() + 60
        while time.time() < deadline and not all("2" in v for v in versions.values()):
            time.sleep(0.2)
        time.sleep(1)  # and keep the load on after the swap
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    for name, served in versions.items():  # each path served both, under load throughout
        assert served == {"1", "2"}, (name, served)
    assert len(statuses) > 50 and set(statuses) == {200}
    status = httpx.get(service["url"] + "/model-status/", timeout=10).json()
    assert status["models"]["conversion"] == "2" and status["last_reload_error"] is None


def _ready_when(service: dict, done) -> dict:
    deadline, ready = time.time() + 60, {}
    while time.time() < deadline and not done(ready):
        ready_response = httpx.get(service["url"] + "/readyz", timeout=10)
        assert ready_response.status_code == 200  # still ready: the old model serves
        ready = ready_response.json()
        time.sleep(0.3)
    return ready


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
    (booster,) = files.rglob("booster.txt")
    good = booster.read_bytes()
    damages = {  # a half-copied artifact (LightGBM would abort the worker), and garbage
        "truncated": good[: len(good) // 2],
        "garbage": os.urandom(len(good)),
    }
    try:
        for damage, content in damages.items():
            booster.write_bytes(content)
            tracking.move_champion("leadscore-conversion", broken)
            ready = _ready_when(service, lambda r: r.get("last_reload_error"))
            assert "booster.txt" in ready["last_reload_error"], damage
            assert "truncated or changed" in ready["last_reload_error"], damage
            assert ready["models"]["conversion"] == serving
            response = _post(service, {"leads": [{"customer_id": service["ids"][0]}]})
            assert response.status_code == 200
            assert response.json()[0]["model"]["version"] == serving
            many = _post(service, {"leads": [{"customer_id": c} for c in service["ids"][:700]]})
            assert many.status_code == 200  # the bulk process refused it too, and serves on
            assert {r["model"]["version"] for r in many.json()} == {serving}
            tracking.move_champion("leadscore-conversion", serving)
            _ready_when(service, lambda r: r and r.get("last_reload_error") is None)
        log = (service["home"] / "service.log").read_text(errors="replace")
        assert "reloading the champion failed" in log
    finally:
        tracking.move_champion("leadscore-conversion", serving)


def test_logs_hold_neither_keys_nor_what_clients_sent(service: dict) -> None:
    secret = "Confidential-Industry-4711"
    bad = {"leads": [{"profile": {"industry": secret, "nested": {"x": 1}}}]}
    assert _post(service, bad).status_code == 400
    bad_time = {"leads": [{"created_at": secret, "profile": {"industry": secret}}]}
    refused = _post(service, bad_time)  # the lead's error item, in a 200
    assert refused.status_code == 200 and "created_at" in refused.json()[0]["error"]
    time.sleep(1)  # the service writes its log lines as it goes
    text = (service["home"] / "service.log").read_text(errors="replace")
    assert "rejected" in text  # the rejections are logged ...
    assert secret not in text  # ... without the values sent
    assert KEY not in text and "other-key" not in text


def test_bento_builds_with_the_locked_versions(tmp_path: Path) -> None:
    """`make bento` packages the service, the library wheel and uv.lock's versions, on a
    machine with no registry (a build imports the service, which serves nothing then)."""
    env = {
        **os.environ,
        "BENTOML_HOME": str(tmp_path),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'no-registry' / 'mlflow.db'}",
    }
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
