"""The one way leadscore starts its service: ``bentoml serve`` on the installed package, so
it runs from a checkout and from a wheel alike (the CLI, the demo and the tests use it)."""

from __future__ import annotations

import sys

SERVICE = "leadscore.service:LeadScoring"


def serve_command(*, port: int, host: str | None = None) -> list[str]:
    """The command line of ``bentoml serve`` for this Python environment."""
    command = [sys.executable, "-m", "bentoml", "serve", SERVICE, "--port", str(port)]
    return command if host is None else [*command, "--host", host]
