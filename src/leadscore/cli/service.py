"""Commands of the service: ``serve`` (the BentoML service on the champions) and
``workspace-user`` (the sales workspace's sign-ins).

Each command's declaration and its body are one function; MLflow and the service's
modules are imported inside the bodies, so that ``leadscore --help`` does not load them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.environment import (
    alert_rules,
    alerts_variable,
    crm_config_path,
    crm_variable,
    missing_store_file,
)
from leadscore.cli.failing import exits_on_input_error, fail
from leadscore.cli.options import ModelNameOption, NBOModelOption
from leadscore.cli.terminal import console

# how long workers that outlived their server (killed at once) get to finish their requests
ORPHANS_STOP_SECONDS = 10


@exits_on_input_error
def serve(
    port: Annotated[int, typer.Option(help="HTTP port")] = 3000,
    feature_store: Annotated[
        Path | None, typer.Option(help="feature table of known customers (as of now)")
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            help="interface to listen on (0.0.0.0: every one, for other machines)",
            envvar="LEADSCORE_HOST",
        ),
    ] = "127.0.0.1",
    model: ModelNameOption = None,
    nbo_model: NBOModelOption = None,
) -> None:
    """Start the BentoML service on the champion models (Ctrl-C or SIGTERM stops it).

    Exits 1 at once when there is no champion to serve, saying where it looked.
    """
    # Everything the service would refuse is checked here first, so that the command
    # fails with a message rather than a server that dies while starting. ``bentoml
    # serve`` then runs in its own process group, and SIGTERM and SIGINT are handed to
    # it, so that a supervisor's stop ends the server and its workers (in-flight
    # requests finish) and frees the port. Killed at once (SIGKILL), this process
    # leaves nothing behind either: the kernel sends the server SIGTERM (see
    # leadscore.common.processes); and a server killed at once leaves its workers
    # (each in a session of its own, holding the port) to this process, which ends them.
    from leadscore import tracking
    from leadscore.common.processes import adopt_orphans, stop_descendants, supervised_popen
    from leadscore.decisions.alerts import load_alert_config
    from leadscore.scoring.champions import unservable
    from leadscore.serving.command import serve_command
    from leadscore.serving.keys import api_keys, weak_keys
    from leadscore.serving.settings import ENVIRONMENT, ServiceSettings
    from leadscore.serving.webhooks import webhook_secret
    from leadscore.store.database import DATABASE_URL_VARIABLE, database_url

    env = dict(os.environ)
    # the service reads the models' names from its environment, as a deployment sets them
    if model is not None:
        env[ENVIRONMENT["conversion_model"]] = model
    if nbo_model is not None:
        env[ENVIRONMENT["nbo_model"]] = nbo_model
    refusal = weak_keys(api_keys(env))
    if refusal is not None:
        fail(refusal)
    if feature_store is not None:
        if not feature_store.exists():
            fail(f"{feature_store}: no such feature table (build it with leadscore features)")
        env["LEADSCORE_FEATURE_STORE"] = str(feature_store.resolve())
    env.setdefault("MLFLOW_TRACKING_URI", tracking.default_tracking_uri())
    if feature_store is None:  # known customers come from the store, as of each request
        url = database_url(env)
        missing = missing_store_file(url)
        if missing is not None:
            console().print(
                f"note: no store at {missing}: known customers cannot "
                "be looked up (load them with `leadscore load SOURCE`, or set "
                f"{DATABASE_URL_VARIABLE}); full records are scored"
            )
        else:
            env[DATABASE_URL_VARIABLE] = url
            rules = alert_rules(env)
            if rules is not None and alerts_variable() not in env:
                env[alerts_variable()] = str(rules)
                console().print(
                    "alert rules from alerts.yaml: their webhooks go out from the store"
                )
            crm = crm_config_path(env)
            if crm is not None and crm_variable() not in env:
                env[crm_variable()] = str(crm)
                console().print("CRM write-back from crm.yaml: scores go into the CRM records")
    env.setdefault("LEADSCORE_WORKSPACE_USERS", str(Path("workspace_users.yaml").resolve()))
    env["LEADSCORE_HOST"] = host  # checked with the settings: an IP address, as BentoML takes
    # the models the service will load, named as the service reads them
    settings = ServiceSettings.from_environment(env)
    if settings.alerts is not None:  # the service would refuse them: say so before it starts
        webhook_secret(load_alert_config(settings.alerts).webhook, env)
    if settings.crm is not None:  # the same: a destination without its credentials
        from leadscore.decisions.crm import load_crm_config
        from leadscore.serving.crm_auth import credentials_for

        for destination in load_crm_config(settings.crm).destinations:
            credentials_for(destination, env)
    refusal = unservable(settings.conversion_model, settings.nbo_model)
    if refusal is not None:  # the service would refuse them too: say so before it starts
        fail(refusal)
    adopt_orphans()
    process = supervised_popen(serve_command(port=port, host=host), env=env)

    def forward(signum: int, _frame: object) -> None:
        # to BentoML's server alone: it stops its workers gracefully (requests in flight
        # finish); a worker signalled twice, by the group and by its server, would quit
        # at once and cut them off
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    code = process.wait()
    stop_descendants(timeout=ORPHANS_STOP_SECONDS)  # nothing of it outlives it
    raise typer.Exit(code)


@exits_on_input_error
def workspace_user(
    name: Annotated[str, typer.Argument(help="the user's sign-in name")],
    users_file: Annotated[
        Path,
        typer.Option(help="the users file the service reads", envvar="LEADSCORE_WORKSPACE_USERS"),
    ] = Path("workspace_users.yaml"),
    display_name: Annotated[str | None, typer.Option(help="shown on the pages")] = None,
    owner: Annotated[
        str | None,
        typer.Option(help="the owner the CRM's records name for this user: their 'meine Leads'"),
    ] = None,
    territory: Annotated[
        list[str] | None,
        typer.Option(
            help="a sales territory the user works (repeat for more): they see only these "
            "territories' leads unless --manager"
        ),
    ] = None,
    manager: Annotated[
        bool | None,
        typer.Option("--manager/--no-manager", help="sees every lead whatever the territories"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from standard input, not a prompt")
    ] = False,
) -> None:
    """Add a user of the sales workspace (/workspace), or give one a new password.

    The file holds an Argon2id hash of the password, never the password itself. What is
    not given stays as it was for a user already there.
    """
    from leadscore.workspace.users import put_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    new = put_user(
        users_file,
        name,
        password,
        display_name=display_name,
        owner=owner,
        territories=tuple(territory) if territory else None,
        manager=manager,
    )
    console().print(
        f"{'added' if new else 'changed the password of'} {name} in {users_file}: sign in at "
        "/workspace of the service (`leadscore serve`)"
    )
