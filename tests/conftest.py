"""Shared fixtures: small synthetic CRMs generated once per test session."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.synthetic import GeneratedCRM, SyntheticConfig, generate_crm

# a moment after the synthetic history ends, so 'future timestamp' checks are repeatable
NOW = pd.Timestamp("2026-11-27", tz="UTC")
REPO = Path(__file__).resolve().parents[1]  # the checkout: feature sets, configs, scripts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def small_crm(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCRM:
    """1,500 leads: fast, and enough for every table to have all kinds of rows."""
    out = tmp_path_factory.mktemp("crm_small")
    return generate_crm(SyntheticConfig(customers=1_500, seed=11, truth_customers=1_500), out)


@pytest.fixture(scope="session")
def truth_crm(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCRM:
    """Enough leads for ground-truth statistics to be stable."""
    out = tmp_path_factory.mktemp("crm_truth")
    return generate_crm(SyntheticConfig(customers=12_000, seed=5, truth_customers=12_000), out)


def read_table(directory: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(directory / f"{name}.parquet")


def write_store(crm: GeneratedCRM, feature_set: str, path: Path) -> pd.DataFrame:
    """A feature store of the CRM's customers as of its last day, written to ``path``."""
    data = require_loaded(load_source(canonical_source(crm.directory), now=NOW))
    store = build_feature_table(
        data,
        load_feature_set(feature_set, directory=REPO / "features"),
        as_of=[pd.Timestamp("2026-06-29", tz="UTC")],
    )
    write_feature_table(store, path)
    return store.frame
