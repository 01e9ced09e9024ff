"""``leadscore alerts``: the alerts outbox and its webhook, for an operator.

``list`` what waits, was delivered or given up on (dead letters); ``resend`` alerts (dead
letters back to waiting, their attempts starting over); ``log`` one alert's attempts;
``ping`` the webhook with a signed ``webhook.test`` event; ``enable`` the webhook after a
410 Gone; ``secret`` prints a new signing secret. The store and the alert rules are found
as ``leadscore rescore`` finds them (``LEADSCORE_DATABASE_URL``, ``LEADSCORE_ALERTS`` or an
alerts.yaml here). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.environment import alert_rules, existing_store
from leadscore.cli.failing import exits_on_input_error, fail
from leadscore.cli.terminal import console
from leadscore.common.errors import InputError

if TYPE_CHECKING:
    from leadscore.decisions.alerts import AlertConfig
    from leadscore.store.store import Store

app = typer.Typer(
    name="alerts",
    help="The alerts outbox and its webhook: list, resend, log, ping, enable, secret.",
    no_args_is_help=True,
    add_completion=False,
)


def _store() -> Store:
    from leadscore.store.store import Store

    return Store.open(existing_store())


def _config() -> AlertConfig:
    from leadscore.decisions.alerts import load_alert_config

    rules = alert_rules(os.environ)
    if rules is None:
        raise InputError(
            "no alert rules: set LEADSCORE_ALERTS to the alerts YAML, or run this where "
            "alerts.yaml is"
        )
    return load_alert_config(rules)


def _moment(value: object) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


@app.command("list")
@exits_on_input_error
def list_alerts(
    state: Annotated[
        str | None, typer.Option(help="only those waiting, delivered or dead (given up on)")
    ] = None,
) -> None:
    """The alerts of the outbox, oldest first, with their attempts and last error."""
    from rich.table import Table

    from leadscore.store import outbox

    if state is not None and state not in outbox.STATES:
        raise typer.BadParameter(f"one of {', '.join(outbox.STATES)}", param_hint="--state")
    store = _store()
    if alert_rules(os.environ) is not None:
        url = str(_config().webhook.url)
        disabled = outbox.endpoint_disabled(store, url)
        if disabled is not None:
            console().print(
                f"[bold red]webhook {url} disabled[/] since {_moment(disabled.at)}: "
                f"{disabled.reason}; alerts wait until `leadscore alerts enable`"
            )
    states = outbox.alert_states(store, state)
    table = Table("key", "rule", "customer", "state", "attempts", "when", "last error / reason")
    for s in states:
        when = {"delivered": s.delivered_at, "dead": s.dead_at}.get(s.state, s.next_attempt_at)
        said = s.dead_reason if s.state == "dead" else s.last_error
        table.add_row(
            s.key,
            s.rule,
            s.customer_id,
            s.state,
            str(s.attempts),
            _moment(when),
            (said or "")[:120],
        )
    console().print(table)
    counted = {name: sum(s.state == name for s in states) for name in outbox.STATES}
    console().print(", ".join(f"{n:,} {name}" for name, n in counted.items()))


@app.command()
@exits_on_input_error
def resend(
    keys: Annotated[list[str] | None, typer.Argument(help="the alerts' keys")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="every dead letter")] = False,
) -> None:
    """Send alerts again (dead letters, or delivered ones): back to waiting, their attempts
    starting over; the service delivers them."""
    import pandas as pd

    from leadscore.store import outbox

    if not keys and not dead:
        fail("name the alerts' keys, or give --dead for every dead letter")
    store = _store()
    if keys:
        held = {s.key for s in outbox.alert_states(store)}
        unknown = [k for k in keys if k not in held]
        if unknown:
            fail(f"no alert of key {', '.join(unknown)} in the outbox of {store.url}")
    now = pd.Timestamp.now(tz="UTC")
    done = outbox.resend(store, keys or [], dead=dead, now=now)
    console().print(f"{done:,} alerts waiting again (the service delivers them)")


@app.command("log")
@exits_on_input_error
def delivery_log(key: Annotated[str, typer.Argument(help="the alert's key")]) -> None:
    """One alert's delivery attempts the log holds (30 days of them)."""
    from rich.table import Table

    from leadscore.store import outbox

    attempts = outbox.delivery_log(_store(), key)
    if not attempts:
        fail(f"no attempt of alert {key} in the delivery log")
    table = Table("attempt", "at", "status", "error", "ms")
    for d in attempts:
        status = "" if d.status is None else str(d.status)
        table.add_row(str(d.attempt), _moment(d.at), status, d.error or "", str(d.duration_ms))
    console().print(table)


@app.command()
@exits_on_input_error
def ping() -> None:
    """Send a signed webhook.test event to the webhook now, and show its answer."""
    from leadscore.serving.webhooks import send_test, webhook_secret

    config = _config()
    key, answer = send_test(config.webhook, webhook_secret(config.webhook))
    where = str(config.webhook.url)
    if not answer.ok:
        said = answer.error or f"HTTP {answer.status}"
        fail(f"{where} did not take the test event {key} ({answer.duration_ms} ms): {said}")
    console().print(
        f"{where} answered HTTP {answer.status} to the test event {key} in {answer.duration_ms} ms"
    )


@app.command()
@exits_on_input_error
def enable() -> None:
    """Deliver to the webhook again after it answered 410 Gone (alerts that waited go)."""
    from leadscore.store import outbox

    url = str(_config().webhook.url)
    if outbox.enable_endpoint(_store(), url):
        console().print(f"webhook {url} enabled: the service delivers the alerts waiting")
    else:
        console().print(f"webhook {url} was not disabled")


@app.command()
def secret() -> None:
    """Print a new signing secret (whsec_...), for the webhook's variable and the receiver."""
    from leadscore.serving.webhooks import new_secret

    typer.echo(new_secret())
