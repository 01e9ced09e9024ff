"""The promotion gate: a challenger replaces the champion only if it is better on the
same test rows (the challenger's own test set, scored by both models)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadscore import tracking
from leadscore.errors import InputError
from leadscore.features.training_set import LABEL
from leadscore.modeling.metrics import probability_metrics
from leadscore.modeling.registry import load_model_dir

TEST_TABLE = "evaluation/test.parquet"


@dataclass(frozen=True)
class Decision:
    promoted: bool
    message: str


def compare_conversion(champion, challenger, test: pd.DataFrame) -> dict[str, dict[str, float]]:
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


def conversion_gate(
    scores: dict[str, dict[str, float]], auc_tolerance: float
) -> tuple[bool, list[str]]:
    champion, challenger = scores["champion"], scores["challenger"]
    reasons = []
    if challenger["roc_auc"] < champion["roc_auc"] - auc_tolerance:
        reasons.append(
            f"AUC {challenger['roc_auc']:.4f} is worse than the champion's "
            f"{champion['roc_auc']:.4f} by more than {auc_tolerance}"
        )
    if not challenger["log_loss"] < champion["log_loss"]:
        reasons.append(
            f"log loss {challenger['log_loss']:.5f} is not better than the champion's "
            f"{champion['log_loss']:.5f}"
        )
    return not reasons, reasons


def promote_challenger(model_name: str, auc_tolerance: float = 0.002) -> Decision:
    versions = tracking.aliases(model_name)
    challenger, champion = versions[tracking.CHALLENGER], versions[tracking.CHAMPION]
    if challenger is None:
        raise InputError(f"'{model_name}' has no challenger; train one first (leadscore train)")
    if champion is None:
        tracking.move_champion(model_name, challenger)
        return Decision(True, f"{model_name}: no champion yet; version {challenger} is champion")
    if champion == challenger:
        return Decision(True, f"{model_name}: version {challenger} is already the champion")
    with tracking.fetched(model_name, tracking.CHALLENGER) as handle:
        new = load_model_dir(handle.directory)
        test = tracking.download_run_table(handle.run_id, TEST_TABLE)
    with tracking.fetched(model_name, tracking.CHAMPION) as handle:
        old = load_model_dir(handle.directory)
    if new.kind != old.kind:
        raise InputError(f"'{model_name}' mixes model kinds ({old.kind} and {new.kind})")
    if new.kind == "conversion":
        scores = compare_conversion(old, new, test)
        passed, reasons = conversion_gate(scores, auc_tolerance)
        new_scores, old_scores = scores["challenger"], scores["champion"]
        summary = (
            f"on {len(test):,} test rows: challenger v{challenger} AUC "
            f"{new_scores['roc_auc']:.4f}, log loss {new_scores['log_loss']:.5f}; "
            f"champion v{champion} AUC {old_scores['roc_auc']:.4f}, "
            f"log loss {old_scores['log_loss']:.5f}"
        )
    else:
        from leadscore.modeling.nbo import nbo_gate

        passed, reasons, summary = nbo_gate(old, new, test, challenger, champion)
    if not passed:
        return Decision(False, f"refused: {'; '.join(reasons)} ({summary})")
    tracking.move_champion(model_name, challenger)
    return Decision(True, f"promoted version {challenger} to champion ({summary})")


def roll_back(model_name: str) -> Decision:
    current, previous = tracking.rollback_champion(model_name)
    return Decision(True, f"{model_name}: champion is version {previous} again (was {current})")
