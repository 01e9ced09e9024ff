"""The built-in synthetic "Sales 4.0" CRM with ground truth (see docs/synthetic-data.md)."""

from leadscore.synthetic.config import SyntheticConfig, latest_monday
from leadscore.synthetic.generate import GeneratedCRM, generate_crm

__all__ = ["GeneratedCRM", "SyntheticConfig", "generate_crm", "latest_monday"]
