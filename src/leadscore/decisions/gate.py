"""The promotion gates: a challenger replaces the champion only if it is better on the same
test rows (the challenger's own test set, scored by both models).

Each model kind has its gate: a main measure that must not get worse by more than a
tolerance, and a log loss that must improve. ``judge`` picks the gate for the kind; moving
the alias is the promotion job's (:mod:`leadscore.jobs.promotion`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.evaluation.metrics import probability_metrics
from leadscore.evaluation.nbo import evaluate_rankings, offer_labels_of, offer_log_losses
from leadscore.features.training_set import LABEL
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBOModel

NBO_MAP_TOLERANCE = 0.002  # product MAP@3 the challenger may lose


@dataclass(frozen=True)
class Verdict:
    """What a gate found: whether the challenger passes, why not, and the figures."""

    passed: bool
    reasons: list[str]
    summary: str


@dataclass(frozen=True)
class Measures:
    """One model's figures on the test rows: the main measure and the log loss."""

    main: float
    log_loss: float


@dataclass(frozen=True)
class GateRule:
    """How a kind's figures are compared and written."""

    main: str  # "AUC"
    log_loss: str  # "log loss"
    tolerance: float
    say_tolerance: bool  # name the tolerance in the refusal

    def verdict(
        self, new: Measures, old: Measures, *, rows: int, challenger: str, champion: str
    ) -> Verdict:
        reasons = []
        if new.main < old.main - self.tolerance:
            beyond = f" by more than {self.tolerance}" if self.say_tolerance else ""
            reasons.append(
                f"{self.main} {new.main:.4f} is worse than the champion's {old.main:.4f}{beyond}"
            )
        if not new.log_loss < old.log_loss:
            reasons.append(
                f"{self.log_loss} {new.log_loss:.5f} is not better than the champion's "
                f"{old.log_loss:.5f}"
            )
        summary = (
            f"on {rows:,} test rows: challenger v{challenger} {self.main} {new.main:.4f}, "
            f"log loss {new.log_loss:.5f}; champion v{champion} {self.main} {old.main:.4f}, "
            f"log loss {old.log_loss:.5f}"
        )
        return Verdict(not reasons, reasons, summary)


def compare_conversion(
    champion: ConversionPredictor, challenger: ConversionPredictor, test: pd.DataFrame
) -> dict[str, dict[str, float]]:
    """Both conversion models' probability metrics on the same test rows."""
    label = test[LABEL].to_numpy(dtype=bool)
    out = {}
    for name, model in (("champion", champion), ("challenger", challenger)):
        missing = [f for f in model.model.features if f not in test.columns]
        if missing:
            raise InputError(
                f"the {name} needs features the challenger's test set lacks ({missing[:5]}); "
                "feature sets differ, so the two cannot be compared on the same rows"
            )
        probability = model.predict_frame(test)["probability"].to_numpy()
        out[name] = probability_metrics(label, probability)
    return out


def conversion_measures(
    champion: ConversionPredictor, challenger: ConversionPredictor, test: pd.DataFrame
) -> tuple[Measures, Measures]:
    scores = compare_conversion(champion, challenger, test)
    old, new = scores["champion"], scores["challenger"]
    return (
        Measures(new["roc_auc"], new["log_loss"]),
        Measures(old["roc_auc"], old["log_loss"]),
    )


def nbo_measures(
    champion: NBOModel, challenger: NBOModel, test: pd.DataFrame
) -> tuple[Measures, Measures]:
    """Product MAP@3 and the offers' mean log loss of both models on the same rows."""
    labels = offer_labels_of(test)

    def measures(model: NBOModel) -> Measures:
        propensity = model.propensities(model.encoder.matrix(test))
        ranks = evaluate_rankings(model, test, labels, propensity, labels, None, 0)
        losses = offer_log_losses(model, labels, propensity)
        return Measures(ranks["products/model"].get("map_at_3", 0.0), float(np.mean(losses)))

    return measures(challenger), measures(champion)


Measure = Callable[[object, object, pd.DataFrame], tuple[Measures, Measures]]


def judge(
    champion: ConversionPredictor | NBOModel,
    challenger: ConversionPredictor | NBOModel,
    test: pd.DataFrame,
    *,
    challenger_version: str,
    champion_version: str,
    auc_tolerance: float,
) -> Verdict:
    """The gate of the models' kind (both of one kind) on the challenger's test rows."""
    rules: dict[str, tuple[Measure, GateRule]] = {
        "conversion": (conversion_measures, GateRule("AUC", "log loss", auc_tolerance, True)),
        "nbo": (
            nbo_measures,
            GateRule("product MAP@3", "mean log loss", NBO_MAP_TOLERANCE, False),
        ),
    }
    measure, rule = rules[challenger.kind]
    new, old = measure(champion, challenger, test)
    return rule.verdict(
        new, old, rows=len(test), challenger=challenger_version, champion=champion_version
    )
