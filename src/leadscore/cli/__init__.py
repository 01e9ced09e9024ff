"""The ``leadscore`` command line: ``app`` is what the installed ``leadscore`` script runs."""

from leadscore.cli.app import app, main
from leadscore.cli.data import SUSPICIOUS_AUC

__all__ = ["SUSPICIOUS_AUC", "app", "main"]
