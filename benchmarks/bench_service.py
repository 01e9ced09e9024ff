"""Benchmark: the BentoML service against a minimal Starlette app doing the same work.

Targets (issue: serving), load from a separate process (wrk: ``apt-get install wrk``):
- one lead per request, concurrency 1: the service's p99 at most 2x the floor's p99;
- concurrency 16: the service's throughput at least 50 % of the floor's;
- a batch of 1,000 leads: explained leads per second at least LightGBM ``pred_contrib``'s
  rows per second on the same conversion model (same machine, same run).
The floor (``service_floor.py``) validates the request with the same models, scores with
the same Scorer and writes the same response, under plain uvicorn.

    .venv/bin/python benchmarks/bench_service.py [--customers 20000] [--seconds 5]
        [--rounds 5]      # floor and service take turns; the ratios' medians count
        [--workdir DIR]   # keep the data and models in DIR and reuse them next time
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd

from leadscore import demo
from leadscore.common.processes import stop_group, supervised_popen
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.scoring.champions import load_champions
from leadscore.serving.command import serve_command

REPO = Path(__file__).resolve().parents[1]
KEY = "bench-key"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(root: Path, customers: int) -> tuple[Path, list[str]]:
    """Synthetic CRM, both models trained and champion, a feature store as of the end:
    the demo's own steps."""
    settings = demo.DemoSettings(data=root / "crm", customers=customers, seed=11)
    summary = demo.DemoSummary()
    for step in (
        demo.generate,
        demo.build_training_table,
        demo.train_conversion,
        demo.train_nbo,
    ):
        step(settings, summary)
    table = snapshot(settings, summary)
    ids = pd.read_parquet(table, columns=["customer_id"])["customer_id"]
    return table, ids.astype(str).tolist()


def snapshot(settings: demo.DemoSettings, summary: demo.DemoSummary) -> Path:
    """A feature table of every customer as of now: the service's snapshot path."""
    data = summary.data or require_loaded(load_source(canonical_source(settings.data)))
    as_of = max(pd.Timestamp.now(tz="UTC").floor("min"), data.events["ts"].max())
    feature_set = load_feature_set("nbo_v1", directory=settings.declarations / "features")
    path = settings.data / "features" / "store.parquet"
    write_feature_table(build_feature_table(data, feature_set, as_of=[as_of]), path)
    return path


def prepared(root: Path, customers: int) -> tuple[Path, list[str]]:
    """What ``prepare`` made in ``root`` before, or a fresh preparation."""
    marker = root / "prepared.json"
    if marker.exists() and json.loads(marker.read_text())["customers"] == customers:
        store = root / "crm" / "features" / "store.parquet"
        ids = pd.read_parquet(store, columns=["customer_id"])["customer_id"]
        return store, ids.astype(str).tolist()
    store, ids = prepare(root, customers)
    marker.write_text(json.dumps({"customers": customers}))
    return store, ids


@contextmanager
def bench_root(workdir: Path | None) -> Iterator[Path]:
    """The folder a benchmark works in (``workdir``, kept, or a temporary one), made the
    working directory, with its own MLflow store."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if workdir is None else workdir.resolve()
        root.mkdir(parents=True, exist_ok=True)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
        os.chdir(root)
        yield root


def service_env(root: Path, store: Path, *, reload_seconds: int) -> dict[str, str]:
    return {
        **os.environ,
        "LEADSCORE_API_KEYS": KEY,
        "LEADSCORE_FEATURE_STORE": str(store),
        "LEADSCORE_RELOAD_SECONDS": str(reload_seconds),
        "BENCH_LOGS": str(root),
    }


def start(command: list[str], cwd: Path, env: dict, url: str) -> subprocess.Popen:
    log = open(Path(env["BENCH_LOGS"]) / f"{Path(command[2]).name}.log", "w")  # noqa: SIM115
    # ends with this process, however it ends: no server left holding its port
    process = supervised_popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command} exited; see {log.name}")
        try:
            response = httpx.post(
                f"{url}/score",
                json={"leads": [{"customer_id": "nobody"}]},
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=5,
            )
            if response.status_code == 200 and "error" in response.json()[0]:
                return process  # up, models loaded, the unknown id got its error item
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_group(process, timeout=5)
    raise SystemExit(f"{command} did not come up; see {log.name}")


def wrk(
    url: str, body: dict, *, connections: int, seconds: int, script_dir: Path, pause_ms: int = 0
) -> dict:
    """wrk POSTing ``body`` to /score; each connection pauses ``pause_ms`` between its
    requests (for a rate below the maximum). Latencies in ms."""
    script = script_dir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {KEY}"\n'
        + (f"function delay() return {pause_ms} end\n" if pause_ms else "")
    )
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    output = subprocess.run(
        [*command, "-s", str(script), f"{url}/score"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99 = (
        float(m.group(1)) * UNITS[m.group(2)]
        for m in (re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", output) for p in (50, 99))
    )
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "failed": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def batch_rate(url: str, ids: list[str], repeats: int = 5) -> float:
    body = {"leads": [{"customer_id": c} for c in ids], "lang": "de", "top_k": 5}
    headers = {"Authorization": f"Bearer {KEY}"}
    times = []
    with httpx.Client(timeout=120) as client:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            response = client.post(f"{url}/score", json=body, headers=headers)
            times.append(time.perf_counter() - started)
            response.raise_for_status()
            assert len(response.json()) == len(ids)
    return len(ids) / statistics.median(times[1:])


def contrib_reference(store: Path, ids: list[str]) -> tuple[object, object]:
    """The champion conversion booster and the encoded rows of ``ids``."""
    scorer, _ = load_champions("leadscore-conversion", None, store)
    model = scorer.pure.conversion_model
    return model.booster, model.encoder.matrix(scorer.require_table().feature_table.rows(ids))


def pred_contrib_rate(booster, matrix, repeats: int = 5) -> float:
    """LightGBM's own TreeSHAP on the champion conversion model, rows per second."""
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        booster.predict(matrix, pred_contrib=True)
        times.append(time.perf_counter() - started)
    return len(matrix) / statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="floor and service interleaved")
    parser.add_argument("--workdir", type=Path, help="keep data and models here; reuse them")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed as the load generator: apt-get install wrk")
    with bench_root(args.workdir) as root:
        store, ids = prepared(root, args.customers)
        env = service_env(root, store, reload_seconds=0)
        ports = {"service": free_port(), "floor": free_port()}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        floor = [sys.executable, "-m", "uvicorn", "service_floor:app", "--no-access-log"]
        processes = [
            start(serve_command(port=ports["service"]), root, env, urls["service"]),
            start(
                [*floor, "--log-level", "warning", "--port", str(ports["floor"])],
                REPO / "benchmarks",
                env,
                urls["floor"],
            ),
        ]
        try:
            one = {"leads": [{"customer_id": ids[len(ids) // 2]}], "lang": "de", "top_k": 5}
            batch_ids = ids[:1000]
            booster, matrix = contrib_reference(store, batch_ids)
            runs, batches = [], []
            for round_ in range(1, args.rounds + 1):
                # interleaved, the order turning each round: this machine's speed drifts
                order = ("floor", "service") if round_ % 2 else ("service", "floor")
                for connections in (1, 16):
                    for name in order:
                        result = wrk(
                            urls[name],
                            one,
                            connections=connections,
                            seconds=args.seconds,
                            script_dir=root,
                        )
                        runs.append(
                            {"round": round_, "target": name, "concurrency": connections, **result}
                        )
                for name in order:
                    rate = batch_rate(urls[name], batch_ids)
                    batches.append({"round": round_, "target": name, "leads_per_s": rate})
                rate = pred_contrib_rate(booster, matrix)
                batches.append({"round": round_, "target": "pred_contrib", "leads_per_s": rate})
        finally:
            for process in processes:
                stop_group(process, timeout=30)
    report(pd.DataFrame(runs), pd.DataFrame(batches))


def report(runs: pd.DataFrame, batches: pd.DataFrame) -> None:
    """Per round: the service's p99 over the floor's at concurrency 1, its share of the
    floor's throughput at 16, and its explained leads/s over pred_contrib's rows/s; the
    targets hold for the medians over the rounds."""
    print(runs.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(batches.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    wide = runs.pivot_table(
        index=["round", "concurrency"], columns="target", values=["p99", "rate"]
    )
    single, busy = wide.xs(1, level="concurrency"), wide.xs(16, level="concurrency")
    batch = batches.pivot(index="round", columns="target", values="leads_per_s")
    ratios = pd.DataFrame(
        {
            "p99_c1": single["p99", "service"] / single["p99", "floor"],
            "share_c16": busy["rate", "service"] / busy["rate", "floor"],
            "batch_vs_pred_contrib": batch["service"] / batch["pred_contrib"],
        }
    )
    print(ratios.to_string(float_format=lambda v: f"{v:.2f}"))
    median, low, high = ratios.median(), ratios.min(), ratios.max()
    print(
        f"p99 at concurrency 1: service {median['p99_c1']:.2f}x the floor "
        f"({low['p99_c1']:.2f}-{high['p99_c1']:.2f}; target <= 2)"
    )
    print(
        f"throughput at concurrency 16: service {median['share_c16']:.0%} of the floor "
        f"({low['share_c16']:.0%}-{high['share_c16']:.0%}; target >= 50%)"
    )
    print(
        f"batch of 1,000: service {batch['service'].median():,.0f} explained leads/s, floor "
        f"{batch['floor'].median():,.0f}; pred_contrib alone {batch['pred_contrib'].median():,.0f}"
        f" rows/s: {median['batch_vs_pred_contrib']:.2f}x ({low['batch_vs_pred_contrib']:.2f}-"
        f"{high['batch_vs_pred_contrib']:.2f}; target >= 1)"
    )
    failed = int(runs["failed"].sum())
    if failed:
        print(f"{failed} requests failed")
    missed = (
        median["p99_c1"] > 2 or median["share_c16"] < 0.5 or median["batch_vs_pred_contrib"] < 1
    )
    if missed or failed:
        raise SystemExit("target missed")


if __name__ == "__main__":
    main()
