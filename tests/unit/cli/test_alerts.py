"""``leadscore alerts`` against a real SQLite store and a real local receiver that
verifies every delivery with the standardwebhooks package: a 410 shown and re-enabled, a
dead letter listed and resent, one alert's delivery log, a test event, a new secret."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.decisions.alerts import load_alert_config
from leadscore.serving.webhooks import Deliverer, webhook_secret
from leadscore.store import outbox
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.receiver import Receiver

runner = CliRunner()
T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")


@contextlib.contextmanager
def _receiver(secret: str, **more) -> Iterator[Receiver]:
    found = Receiver(free_port(), secrets=[secret], **more)
    found.start()
    yield found
    with contextlib.suppress(OSError):
        found.stop()


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["alerts", *args], env={"COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADSCORE_ALERTS", raising=False)
    monkeypatch.setenv("LEADSCORE_DATABASE_URL", f"sqlite:///{tmp_path / 'leadscore.db'}")
    made = _cli("secret").strip()
    assert made.startswith("whsec_")
    monkeypatch.setenv("LEADSCORE_WEBHOOK_SECRET", made)
    return made


def _rules(port: int, **settings: object) -> None:
    more = "".join(f", {k}: {v}" for k, v in settings.items())
    Path("alerts.yaml").write_text(
        f"webhook: {{url: 'http://127.0.0.1:{port}/hook'{more}}}\n"
        "rules:\n  - {name: to_a, kind: grade_reached, grade: A}\n"
    )


def _deliverer(store: Store) -> Deliverer:
    config = load_alert_config(Path("alerts.yaml"))
    return Deliverer(store, config.webhook, webhook_secret(config.webhook))


def test_an_operator_sees_and_repairs_what_the_webhook_did(secret: str) -> None:
    store = Store.open()
    alerts = [(f"key-{i}", f"C-{i}", "to_a", {"data": {"i": i}}) for i in range(2)]
    outbox.enqueue(store, alerts, now=T0)
    with _receiver(secret, answers=[(410, {})]) as crm:
        _rules(crm.port)
        assert _deliverer(store).deliver_due(T0) == 0
        listed = _cli("list")
        assert "disabled" in listed and "410" in listed and "2 waiting" in listed
        assert "enabled" in _cli("enable")
        assert _deliverer(store).deliver_due(T0) == 2
        assert "2 delivered" in _cli("list", "--state", "delivered")
        logged = _cli("log", "key-0")
        assert "410" in logged and "200" in logged
        pinged = _cli("ping")
        assert "answered HTTP 200 to the test event" in pinged
    assert crm.unverified == [] and len(crm.accepted) == 3
    assert crm.accepted[-1][0]["type"] == "webhook.test"

    outbox.enqueue(store, [("key-9", "C-9", "to_a", {"data": {}})], now=T0)
    with _receiver(secret, refuse=5) as down:
        _rules(down.port, max_attempts=1)
        _deliverer(store).deliver_due(T0)
        dead = _cli("list", "--state", "dead")
        assert "key-9" in dead and "max_attempts" in dead and "key-0" not in dead
        assert "did not take the test event" in _cli("ping", code=1)
    with _receiver(secret) as back:
        _rules(back.port)
        assert "1 alerts waiting again" in _cli("resend", "--dead")
        assert _deliverer(store).deliver_due() == 1  # due now
        assert "1 alerts waiting again" in _cli("resend", "key-0")
        assert _deliverer(store).deliver_due() == 1
    assert [h["webhook-id"] for _, h, _ in back.accepted] == ["key-9", "key-0"]
    assert back.unverified == []
    assert "no alert of key nope" in _cli("resend", "nope", code=1)
    assert "--dead" in _cli("resend", code=1)


def test_a_secret_not_whsec_is_refused_with_how_to_make_one(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _rules(free_port())
    monkeypatch.setenv("LEADSCORE_WEBHOOK_SECRET", "a-shared-secret-of-32-characters")
    assert "leadscore alerts secret" in _cli("ping", code=1)
