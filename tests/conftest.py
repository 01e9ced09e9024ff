"""Shared fixtures: small synthetic CRMs generated once per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from leadscore.common.processes import stop_group
from leadscore.data.loading import CanonicalData, load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.evaluation.offer_policy import (
    ChosenResponse,
    OfferEvaluation,
    choose_response,
    evaluate_offer_policy,
)
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.jobs.nbo import offers_made
from leadscore.synthetic import GeneratedCRM, SyntheticConfig, generate_crm
from leadscore.synthetic.generate import TRUTH_DIR
from leadscore.training.config import TrainingConfig, load_training_config
from leadscore.training.response_rows import ResponseData

# a moment after the synthetic history ends, so 'future timestamp' checks are repeatable
NOW = pd.Timestamp("2026-11-27", tz="UTC")
REPO = Path(__file__).resolve().parents[1]  # the checkout: feature sets, configs, scripts


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server's URL: the one `.ci/run` started (LEADSCORE_TEST_POSTGRES_URL),
    else one started here with `.ci/postgres` for the session."""
    url = os.environ.get("LEADSCORE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    # /tmp, not pytest's folder: the server's user must be able to reach the directory
    directory = tempfile.mkdtemp(prefix="leadscore-pg-")
    script = REPO / ".ci" / "postgres"
    started = subprocess.run(
        [script, "start", directory, str(free_port())], capture_output=True, text=True
    )
    assert started.returncode == 0, f"could not start PostgreSQL: {started.stderr}"
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", directory], check=False)


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


@dataclass(frozen=True)
class LearntOffers:
    """The response to the offers made in ``truth_crm``, learnt and evaluated as the job
    does it, with everything it came from."""

    data: CanonicalData
    rows: ResponseData
    chosen: ChosenResponse
    evaluation: OfferEvaluation
    truth: pd.DataFrame
    config: TrainingConfig


@pytest.fixture(scope="session")
def learnt(truth_crm: GeneratedCRM) -> LearntOffers:
    config = load_training_config(
        REPO / "training" / "configs" / "nbo_offers_made.yaml", source=truth_crm.directory
    )
    data = require_loaded(load_source(canonical_source(truth_crm.directory), now=NOW))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    rows = offers_made(config, data, feature_set)
    chosen = choose_response(rows, config)
    truth = pd.read_parquet(truth_crm.directory / TRUTH_DIR / "offer_decisions.parquet")
    evaluation = evaluate_offer_policy(rows, chosen, config, truth=truth, resamples=200)
    return LearntOffers(data, rows, chosen, evaluation, truth, config)


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


def listening_on(port: int) -> set[str]:
    """The addresses a TCP socket listens on at ``port``, from the kernel's own tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: listening
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    found.add("ipv6:" + address)
    return found


def port_free_within(port: int, *, seconds: float) -> bool:
    """Whether a new server can listen on ``port`` of 127.0.0.1 within ``seconds``."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as sock:
            # as a restarting server binds: connections the old one closed may linger in
            # TIME_WAIT, which holds no one up
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                sock.listen()
                return True
            except OSError:
                time.sleep(0.2)
    return False


def wait_until_ready(
    url: str, process: subprocess.Popen, log: Path, *, seconds: float = 120
) -> None:
    """Until ``url/readyz`` answers 200; the service's log in the error where it stops or
    does not become ready (and it is stopped, with its workers: start it with
    ``leadscore.common.processes.supervised_popen``)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the service stopped: {log.read_text(errors='replace')}")
        time.sleep(0.5)
    stop_group(process, timeout=5)
    raise RuntimeError(f"the service did not become ready: {log.read_text(errors='replace')}")
