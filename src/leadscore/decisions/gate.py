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
from leadscore.evaluation.off_policy import bootstrap_interval, doubly_robust_terms
from leadscore.evaluation.offer_policy import logged_decisions, policy_of
from leadscore.features.training_set import LABEL
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBOModel
from leadscore.models.offer_response import ResponseNBOModel

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

# the share of the champion's policy value a challenger learnt from offers made may lose
NBO_VALUE_TOLERANCE = 0.02
GATE_RESAMPLES = 1000


def _aligned_policy(model: NBOModel, test: pd.DataFrame, offer_ids: list[str]) -> np.ndarray:
    """``model``'s policy on the test offers made, its columns in the order of
    ``offer_ids`` (then "no offer")."""
    own = model.offers["offer_id"].tolist()
    if sorted(own) != sorted(offer_ids):
        raise InputError(
            f"the champion offers {sorted(own)}, the challenger {sorted(offer_ids)}: a "
            "policy can only be valued on offers made of its own catalog; train both on the "
            "same offers (nbo.offers), or pin the challenger (leadscore promote --version N)"
        )
    missing = [f for f in model.features if f not in test.columns]
    if missing:
        raise InputError(
            f"the champion needs features the challenger's test offers lack ({missing[:5]}); "
            "feature sets differ, so the two cannot be compared on the same rows"
        )
    policy = policy_of(model, test)
    order = [own.index(o) for o in offer_ids] + [len(own)]
    return policy[:, order]


def offer_value_verdict(
    champion: NBOModel,
    challenger: ResponseNBOModel,
    test: pd.DataFrame,
    *,
    challenger_version: str,
    champion_version: str,
    seed: int = 0,
) -> Verdict:
    """A challenger learnt from offers made against the champion (of either kind): the
    doubly robust value per offer made of each one's choices on the challenger's test
    offers made, with 95 % bootstrap intervals over the same draws. It passes unless its
    value is below the champion's by more than NBO_VALUE_TOLERANCE of it, or the interval
    of the paired difference lies wholly below 0."""
    offers = challenger.offers
    ids = offers["offer_id"].tolist()
    logged, _ = logged_decisions(test, offers)
    _, take_up = challenger.response.values(challenger.encoder.matrix(test))
    reward_model = np.column_stack([take_up, np.zeros(len(test))])
    terms = {
        name: doubly_robust_terms(logged, policy, reward_model)
        for name, policy in (
            ("challenger", _aligned_policy(challenger, test, ids)),
            ("champion", _aligned_policy(champion, test, ids)),
        )
    }
    terms["difference"] = terms["challenger"] - terms["champion"]
    figures = {
        name: (
            float(values.mean()),
            *bootstrap_interval(values, None, resamples=GATE_RESAMPLES, seed=seed),
        )
        for name, values in terms.items()
    }
    new, old, difference = figures["challenger"], figures["champion"], figures["difference"]
    reasons = []
    if difference[0] < -NBO_VALUE_TOLERANCE * abs(old[0]):
        reasons.append(
            f"its policy value {new[0]:,.2f} is below the champion's {old[0]:,.2f} by more "
            f"than {NBO_VALUE_TOLERANCE:.0%}"
        )
    if difference[2] < 0:
        reasons.append(
            f"the 95 % interval of the difference ({difference[1]:,.2f} to "
            f"{difference[2]:,.2f}) lies below 0: its choices are worth less on these offers"
        )

    def said(figure: tuple[float, float, float]) -> str:
        return f"{figure[0]:,.2f} [{figure[1]:,.2f}, {figure[2]:,.2f}]"

    summary = (
        f"doubly robust value per offer made, on {len(test):,} test offers made: challenger "
        f"v{challenger_version} {said(new)}, champion v{champion_version} {said(old)}, "
        f"difference {said(difference)}"
    )
    return Verdict(not reasons, reasons, summary)


def judge(
    champion: ConversionPredictor | NBOModel,
    challenger: ConversionPredictor | NBOModel,
    test: pd.DataFrame,
    *,
    challenger_version: str,
    champion_version: str,
    auc_tolerance: float,
) -> Verdict:
    """The gate of the models' kind (both of one kind) on the challenger's test rows; a
    next-best-offer challenger learnt from offers made is judged by its policy value."""
    if isinstance(challenger, ResponseNBOModel):
        return offer_value_verdict(
            champion,  # type: ignore[arg-type]
            challenger,
            test,
            challenger_version=challenger_version,
            champion_version=champion_version,
        )
    if isinstance(champion, ResponseNBOModel):
        raise InputError(
            "the champion learnt from offers made and the challenger from outcomes: its "
            "test rows cannot value the champion's choices. Train the challenger with "
            "nbo.learn_from: exposures, or pin it (leadscore promote --version N)"
        )
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
