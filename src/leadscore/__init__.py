"""leadscore: lead scoring and next-best-offer models with plain-language explanations."""

__version__ = "0.1.0"
