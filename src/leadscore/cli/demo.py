"""The ``demo`` command: the whole path on synthetic data, then served.

Its declaration and its body are one function; the demo's steps (``leadscore.demo``) and
everything they use are imported inside the body, so that ``leadscore --help`` does not
load them.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.environment import history_end
from leadscore.cli.failing import exits_on_input_error
from leadscore.cli.options import EndOption
from leadscore.cli.terminal import console, working

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _step(progress: Progress, task: TaskID, description: str, *, last: bool) -> Iterator[None]:
    """One step: on the progress bar in a terminal; in a log (no terminal), a line when it
    starts and one when it ends, with the time it took."""
    if not console().is_terminal:
        with working(description):
            yield
        return
    progress.update(task, description=description)
    yield
    if last:
        progress.advance(task)


@exits_on_input_error
def demo(
    data: Annotated[Path, typer.Option(help="folder for the synthetic CRM")] = Path("demo-data"),
    customers: Annotated[int, typer.Option(min=1000, help="number of leads")] = 20_000,
    port: Annotated[int, typer.Option(help="HTTP port of the service")] = 3000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="keep serving until Ctrl-C")
    ] = True,
    end: EndOption = None,
) -> None:
    """The whole path on synthetic data, served, with one lead scored in German.

    Generates a CRM, validates it, builds features, trains and promotes both models,
    serves them and scores one lead with German reasons.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from leadscore import demo as steps
    from leadscore import tracking
    from leadscore.cli.reports import print_demo_summary
    from leadscore.common.processes import stop_group
    from leadscore.serving.keys import listed_keys

    keys = listed_keys(os.environ)  # the first key given, so that a script knows it
    settings = steps.DemoSettings(
        data=data,
        customers=customers,
        port=port,
        api_key=keys[0] if keys else steps.new_api_key(),
        end=history_end(end),
    )
    summary = steps.DemoSummary()
    started = time.perf_counter()
    process = None
    log = data / "service.log"
    env = {**os.environ}
    env.setdefault("MLFLOW_TRACKING_URI", tracking.default_tracking_uri())
    out = console()
    try:
        steps.check_port_free(port)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        # outside a terminal the bar is off and each step prints its own lines instead
        with Progress(*columns, console=out, disable=not out.is_terminal) as progress:
            task = progress.add_task("", total=len(steps.STEPS) + 1)
            for description, step in steps.STEPS:
                with _step(progress, task, description, last=True):
                    step(settings, summary)
            with _step(progress, task, "starting the service", last=False):
                process = steps.start_service(settings, log, env)
                steps.wait_until_ready(settings, process, log)
            with _step(progress, task, "serving, replaying the last days live", last=False):
                active = steps.replay(settings, summary)
                summary.example, summary.risen = steps.score_examples(settings, active)
            with _step(progress, task, "monitoring the champion", last=True):
                steps.monitor_champion(settings, summary)
            customer = summary.example["customer_id"]
        print_demo_summary(
            summary,
            out,
            seconds=time.perf_counter() - started,
            tracking_uri=env["MLFLOW_TRACKING_URI"],
            curl=steps.curl_command(settings, customer) if serve else None,
        )
        if not serve:  # the service stopped with the demo: say how to start it again
            out.print(
                "\n[bold]To serve these models[/] (the store and the sign-ins are in this "
                f"folder): LEADSCORE_API_KEYS={settings.api_key} leadscore serve --port {port}"
                f"\n  then the API docs at {settings.url}/docs and the sales workspace at "
                f"{settings.url}/workspace (sign in as {settings.workspace_user} with the "
                f"password {settings.workspace_password})",
                highlight=False,
            )
            return
        out.print(
            f"\n[bold]sales workspace: {settings.url}/workspace[/] - sign in as "
            f"{settings.workspace_user} with the password {settings.workspace_password} "
            f"(new each run; add users with `leadscore workspace-user NAME`)",
            highlight=False,
        )
        out.print(
            f"\n[bold]serving on {settings.url}[/] (this machine only; API docs at "
            f"{settings.url}/docs, log in {log}); API key of this run: {settings.api_key} "
            "(set LEADSCORE_API_KEYS to choose one); Ctrl-C stops it",
            highlight=False,
        )
        signal.signal(signal.SIGTERM, _interrupt)  # stopped by a supervisor: the same
        process.wait()
    except KeyboardInterrupt:
        out.print("stopping the service ...")
    finally:
        if process is not None:  # its workers too, should it not stop in time
            stop_group(process, timeout=30)
