"""Promotion: the gate of the model's kind decides whether the challenger becomes the
champion; a rollback gives the alias back to the version before."""

from __future__ import annotations

from dataclasses import dataclass

from leadscore import tracking
from leadscore.common.errors import InputError
from leadscore.decisions.gate import judge
from leadscore.jobs.inputs import TEST_TABLE
from leadscore.models.files import load_model_dir


@dataclass(frozen=True)
class Decision:
    promoted: bool
    message: str


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
    verdict = judge(
        old,
        new,
        test,
        challenger_version=challenger,
        champion_version=champion,
        auc_tolerance=auc_tolerance,
    )
    if not verdict.passed:
        return Decision(False, f"refused: {'; '.join(verdict.reasons)} ({verdict.summary})")
    tracking.move_champion(model_name, challenger)
    return Decision(True, f"promoted version {challenger} to champion ({verdict.summary})")


def roll_back(model_name: str) -> Decision:
    current, previous = tracking.rollback_champion(model_name)
    return Decision(True, f"{model_name}: champion is version {previous} again (was {current})")


def pin_version(model_name: str, version: str, *, by: str) -> Decision:
    """Champion by decision, not by the gate: ``version``, once its files check out."""
    before = tracking.pin_champion(model_name, version, by=by)
    was = f"was {before}" if before else "there was none"
    return Decision(
        True,
        f"{model_name}: version {version} is champion, pinned past the gate by {by} ({was}); "
        "the registry records the pin on the version",
    )
