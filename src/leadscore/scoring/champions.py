"""The champion models from the MLflow registry, as a Scorer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore import tracking
from leadscore.common.errors import InputError
from leadscore.data.records import RECORD_TIMEZONE
from leadscore.decisions.alerts import AlertConfig
from leadscore.models.files import load_model_dir
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.feature_table import FeatureTable
from leadscore.scoring.records import DEFAULT_MIN_INFORMATION
from leadscore.scoring.scorer import Scorer
from leadscore.store.store import Store


def champion_versions(conversion_name: str, nbo_name: str | None) -> dict[str, str]:
    """Which versions hold the champion alias now (cheap: one registry query each)."""
    versions = {"conversion": tracking.aliases(conversion_name)[tracking.CHAMPION] or "none"}
    if nbo_name:
        versions["nbo"] = tracking.aliases(nbo_name)[tracking.CHAMPION] or "none"
    return versions


def unservable(conversion_name: str, nbo_name: str | None) -> str | None:
    """Why the service cannot start on these models' champions (the conversion model has
    none, or a champion's files are not what training recorded), or None when it can.

    ``leadscore serve`` asks before it starts the server, and the service at its start-up
    (``bentoml serve`` without the command), in the same words: a server whose workers
    cannot load their models would keep a port that never answers.
    """
    missing = tracking.missing_champion(conversion_name)  # creates no empty registry
    if missing is not None:
        return f"nothing to serve: {missing}"
    for name in (conversion_name, nbo_name):
        broken = tracking.broken_champion(name) if name else None
        if broken is not None:
            return (
                f"the champion of {name} cannot be served: {broken}; move the champion "
                "alias to a good version (leadscore promote --rollback, or --version N)"
            )
    return None


def load_champions(
    conversion_name: str | None,
    nbo_name: str | None,
    table_path: Path | None,
    *,
    accept_unknown_event_types: bool = False,
    lenient_profiles: bool = False,
    min_information: int = DEFAULT_MIN_INFORMATION,
    timezone: str = RECORD_TIMEZONE,
    database_url: str | None = None,
    alerts: AlertConfig | None = None,
) -> tuple[Scorer, dict[str, str]]:
    """A Scorer on the champion models from the MLflow registry, and their versions.

    Without ``conversion_name`` the next-best-offer champion scores alone (batch only).
    With ``table_path`` (a Parquet feature table) known customers are scored from that
    snapshot; with ``database_url`` (and no table) from the store as of each request.
    """
    conversion, conversion_info, versions = None, ModelInfo("conversion", "none", "none"), {}
    if conversion_name:
        with tracking.fetched(conversion_name, tracking.CHAMPION) as handle:
            conversion = load_model_dir(handle.directory)
        conversion_info = ModelInfo(conversion_name, handle.version, tracking.CHAMPION)
        versions["conversion"] = handle.version
    elif not nbo_name or tracking.aliases(nbo_name)[tracking.CHAMPION] is None:
        raise InputError(
            "no model to score with: name a conversion model, or a next-best-offer model "
            f"with a champion ({nbo_name or 'none given'} has none); train one first"
        )
    nbo, nbo_info = None, None
    if nbo_name and tracking.aliases(nbo_name)[tracking.CHAMPION] is not None:
        with tracking.fetched(nbo_name, tracking.CHAMPION) as nbo_handle:
            nbo = load_model_dir(nbo_handle.directory)
        nbo_info = ModelInfo(nbo_name, nbo_handle.version, tracking.CHAMPION)
        versions["nbo"] = nbo_handle.version
    elif nbo_name:
        versions["nbo"] = "none"
    feature_table = None
    if table_path is not None:
        if not table_path.exists():
            raise InputError(f"{table_path}: no feature table for known customers")
        feature_table = FeatureTable.from_table(pd.read_parquet(table_path))
    store = Store.open(database_url) if database_url and feature_table is None else None
    scorer = Scorer.serving(
        conversion,
        nbo,
        conversion_info=conversion_info,
        nbo_info=nbo_info,
        feature_table=feature_table,
        store=store,
        alerts=alerts if store is not None else None,
        accept_unknown_event_types=accept_unknown_event_types,
        lenient_profiles=lenient_profiles,
        min_information=min_information,
        timezone=timezone,
    )
    return scorer, versions
