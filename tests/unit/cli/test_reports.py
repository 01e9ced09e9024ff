"""What the command line shows of a training job: here, the leakage audit's flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console

from leadscore.cli.reports import print_audit_flags
from leadscore.features.audit import leakage_audit


def _shown(audit: pd.DataFrame, **options: int) -> str:
    console = Console(record=True, width=200)
    print_audit_flags(audit, console, **options)
    return console.export_text()


def test_each_flag_is_a_line_with_its_reason_and_action() -> None:
    rng = np.random.default_rng(3)
    label = rng.random(1_000) < 0.3
    frame = pd.DataFrame(
        {
            "Lead Number": rng.permutation(1_000) + 1,
            "stage": np.where(label, "won", "open"),
            "visits": rng.poisson(3, 1_000),
        }
    )
    text = _shown(leakage_audit(frame, list(frame.columns), label))
    assert text.startswith("leakage audit: 2 field(s) flagged (leakage_audit.csv in the run)")
    assert "- stage: single-feature AUC 1.000 >= 0.85: may encode the outcome" in text
    assert (
        "- Lead Number: looks like an id: not a feature (an integer of its own per lead); "
        "dropped: an id names a lead, it does not describe it"
    ) in text
    assert "visits" not in text
    assert _shown(leakage_audit(frame, ["visits"], label)) == "leakage audit: nothing flagged\n"


def test_many_flags_are_cut_with_a_count_of_the_rest() -> None:
    audit = pd.DataFrame(
        {
            "field": [f"f{i}" for i in range(4)],
            "flagged": [True] * 4,
            "reason": ["known only after the outcome"] * 4,
            "action": ["excluded"] * 4,
        }
    )
    text = _shown(audit, shown=3)
    assert "- f2:" in text and "- f3:" not in text
    assert text.endswith("  and 1 more in leakage_audit.csv\n")
