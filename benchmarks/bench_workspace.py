"""Benchmark: the sales workspace's lead list, 50 leads a page out of 100,000, over HTTP
(a real ``bentoml serve`` on a real store, signed in with a session cookie).

The store holds a 20,000-customer synthetic CRM (its events, offers and models) and its
rescore, and four more copies of its customers and their scores under other ids, so the
list ranks and filters 100,000 leads. Pages are asked in turn: no filter, each grade, a
territory, "rising", a campaign, a search and deep pages. Target: p99 under 100 ms on 2
cores. The reference measured in the same run: ``POST /score`` of the same 50 leads by id
(what a CRM calls to show such a list). The workspace's screenshots are taken by its page
tour (``tests/e2e/test_workspace_pages.py``).

    .venv/bin/python benchmarks/bench_workspace.py [--copies 4] [--requests 300]
        [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from bench_live import copy_customers, first_kept_round, percentiles
from bench_service import KEY, bench_root, free_port, prepared, start
from leadscore.common.processes import stop_group
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.scoring.champions import load_champions
from leadscore.scoring.rescore import rescore_store
from leadscore.serving.command import serve_command
from leadscore.store.loading import put_canonical
from leadscore.store.store import Store
from leadscore.workspace.users import put_user

USER, PASSWORD = "bench", "bench-password-1"


def fill(root: Path, copies: int) -> str:
    """A store of the CRM, rescored, and ``copies`` more copies of its customers and
    scores under other ids; its URL."""
    url = f"sqlite:///{root / 'workspace.db'}"
    store = Store.open(url)
    store.clear()
    data = require_loaded(load_source(canonical_source(root / "crm")))
    now = pd.Timestamp.now(tz="UTC")
    put_canonical(store, data, now=now)
    scorer, _ = load_champions("leadscore-conversion", None, None, database_url=url)
    rescore_store(scorer.require_live(), now=now - pd.Timedelta(days=8), batch_size=2_000)
    rescore_store(scorer.require_live(), now=now, batch_size=2_000)
    copy_customers(store, copies, scores=True)
    return url


def signed_in(url: str) -> httpx.Client:
    """A client signed in as a browser is: the sign-in form's CSRF token and cookie."""
    client = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
    form = client.get("/workspace/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None, "no CSRF token on the sign-in page"
    answer = client.post(
        "/workspace/login", data={"user": USER, "password": PASSWORD, "csrf": token.group(1)}
    )
    assert answer.status_code == 303, answer.text
    return client


def pages(campaign: str, territory: str, count: int) -> list[str]:
    asked = [
        "/workspace",
        "/workspace?grade=A",
        "/workspace?grade=B",
        "/workspace?grade=C&page=20",
        "/workspace?grade=D&page=100",
        f"/workspace?territory={territory}",
        "/workspace?rising=1",
        f"/workspace?campaign={campaign}",
        "/workspace?q=C-00012",
        "/workspace?page=1500",
        "/workspace?grade=A&lang=de",
    ]
    return [asked[i % len(asked)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--requests", type=int, default=330)
    parser.add_argument("--workdir", type=Path, default=None)
    arguments = parser.parse_args()
    with bench_root(arguments.workdir) as root:
        prepared(root, arguments.customers)
        clock = time.perf_counter()
        database = fill(root, arguments.copies)
        store = Store.open(database)
        leads = store.count("customers")
        print(f"{leads:,} leads in the store ({time.perf_counter() - clock:.0f} s to fill it)")
        put_user(root / "workspace_users.yaml", USER, PASSWORD)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "LEADSCORE_API_KEYS": KEY,
            "BENCH_LOGS": str(root),
            "LEADSCORE_DATABASE_URL": database,
            "LEADSCORE_WORKSPACE_USERS": str(root / "workspace_users.yaml"),
        }
        process = start(serve_command(port=port), root, env, url)
        try:
            kept = first_kept_round(url)
            print(
                f"features built ahead: {kept['kept']:,} leads in {kept['last_round']['seconds']} s"
            )
            client = signed_in(url)
            clock = time.perf_counter()
            first = client.get("/workspace")
            assert first.status_code == 200, first.text[:500]
            took = time.perf_counter() - clock
            print(f"first list page (the board read from the store): {took:.1f} s")
            campaign = "it-sa 2026"
            territory = "DE"
            asked = pages(campaign, territory, arguments.requests)
            for path in asked[:22]:  # every kind of page once
                assert client.get(path).status_code == 200
            seconds, sizes = [], []
            for path in asked:
                clock = time.perf_counter()
                answer = client.get(path)
                seconds.append(time.perf_counter() - clock)
                assert answer.status_code == 200, (path, answer.status_code)
                sizes.append(answer.text.count("<tr>") - 1)
            p50, p99 = percentiles(seconds)
            rng = np.random.default_rng(3)
            ids = store.customer_ids()
            reference = []
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
            ) as api:
                for _ in range(len(asked) // 3):
                    chosen = rng.choice(ids, size=50, replace=False).tolist()
                    body = {"leads": [{"customer_id": c} for c in chosen], "top_k": 3}
                    clock = time.perf_counter()
                    assert api.post("/score", json=body).status_code == 200
                    reference.append(time.perf_counter() - clock)
            r50, r99 = percentiles(reference)
            print(
                f"lead list, 50 of {leads:,} leads a page ({len(asked)} pages: filters, "
                f"search, deep pages; {np.mean(sizes):.0f} rows on average): p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms (target 100 ms); POST /score of 50 known leads p50 "
                f"{r50:.1f} ms, p99 {r99:.1f} ms ({p99 / r99:.2f}x of it)"
            )
            csv_clock = time.perf_counter()
            exported = client.get("/workspace/leads.csv")
            print(
                f"CSV export of every lead ({exported.text.count(chr(10)) - 1:,} rows): "
                f"{time.perf_counter() - csv_clock:.2f} s"
            )
        finally:
            stop_group(process, timeout=60)


if __name__ == "__main__":
    main()
