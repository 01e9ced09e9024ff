"""The ``leadscore`` command line: ``app`` is what the installed ``leadscore`` script runs."""

from leadscore.cli.app import SUSPICIOUS_AUC, app, main

__all__ = ["SUSPICIOUS_AUC", "app", "main"]
