"""Benchmark: the service held at 80 % of its measured maximum for a minute, alone and
while one client sends the worst bounded request every second.

Targets (issue: a service a CRM can trust), load from a separate process (wrk):
- 60 s at 80 % of the maximum throughput measured in the same run: 0 failed requests,
  the service's memory (RSS of the server and its worker) grows by less than 10 %;
- the same while another client sends the worst requests the bounds let through, one a
  second (a body of records just under LEADSCORE_MAX_BODY_BYTES, a 1 MB timestamp, 100,000
  profile fields): the p99 of the others at most 2x the p99 without them.

    .venv/bin/python benchmarks/bench_service_soak.py [--customers 5000] [--seconds 60]
        [--workdir DIR]   # keep the data and models in DIR and reuse them next time
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import threading
import time
from pathlib import Path

import httpx

from bench_service import KEY, bench_root, free_port, prepared, service_env, start, wrk
from leadscore.common.processes import stop_group
from leadscore.serving.command import serve_command
from leadscore.serving.limits import DEFAULT_MAX_BODY_BYTES

CONNECTIONS = 16


def paced(url: str, body: dict, *, seconds: int, pause_ms: int, folder: Path) -> dict:
    """wrk over ``CONNECTIONS`` connections, each pausing ``pause_ms`` between requests."""
    return wrk(
        url, body, connections=CONNECTIONS, seconds=seconds, script_dir=folder, pause_ms=pause_ms
    )


def pause_for(rate: float, latency_ms: float) -> int:
    """The pause per connection that makes about ``rate`` requests a second in all, when a
    request takes ``latency_ms``."""
    return max(1, round(1000 * CONNECTIONS / rate - latency_ms))


def service_rss(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (the BentoML server and worker)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, AttributeError):
            continue
        pending += [int(c) for c in children]
    return total


def worst_bodies(ids: list[str], limit: int) -> list[bytes]:
    """The heaviest requests the bounds let through, and the ones they refuse quickly."""
    event = {"ts": "2026-11-30T10:00:00Z", "event_type": "page_view", "channel": "web"}
    lead = {"customer_id": "W", "profile": {"industry": "software"}, "events": [event] * 40}
    records = []
    while len(json.dumps({"leads": records})) < limit - 8_000 and len(records) < 1000:
        records.append(lead)
    return [
        json.dumps({"leads": records}).encode(),
        json.dumps({"leads": [{"events": [{"ts": "1" * 1_000_000, "event_type": "x"}]}]}).encode(),
        json.dumps({"leads": [{"profile": {f"k{i}": 1 for i in range(100_000)}}]}).encode(),
    ]


def send_worst(url: str, bodies: list[bytes], stop: threading.Event, seen: list) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    with httpx.Client(timeout=60) as client:
        i = 0
        while not stop.wait(1.0):
            started = time.perf_counter()
            response = client.post(f"{url}/score", content=bodies[i % len(bodies)], headers=headers)
            seen.append((response.status_code, time.perf_counter() - started, len(bodies[i % 3])))
            i += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workdir", type=Path, help="keep data and models here; reuse them")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed as the load generator: apt-get install wrk")
    with bench_root(args.workdir) as root:
        store, ids = prepared(root, args.customers)
        env = service_env(root, store, reload_seconds=10)
        url = f"http://127.0.0.1:{free_port()}"
        process = start(serve_command(port=int(url.rsplit(":", 1)[1])), root, env, url)
        one = {"leads": [{"customer_id": ids[len(ids) // 2]}], "lang": "de", "top_k": 5}
        try:
            maximum = paced(url, one, seconds=10, pause_ms=0, folder=root)
            target = 0.8 * maximum["rate"]
            # warm up near the target, and learn the latency there for the pause
            warm = paced(url, one, seconds=10, pause_ms=pause_for(target, 0), folder=root)
            pause = pause_for(target, warm["p50"])
            rss_before = service_rss(process.pid)
            alone = paced(url, one, seconds=args.seconds, pause_ms=pause, folder=root)
            rss_after = service_rss(process.pid)
            stop, seen = threading.Event(), []
            bodies = worst_bodies(ids, DEFAULT_MAX_BODY_BYTES)
            worst = threading.Thread(target=send_worst, args=(url, bodies, stop, seen))
            worst.start()
            try:
                beside = paced(url, one, seconds=args.seconds, pause_ms=pause, folder=root)
            finally:
                stop.set()
                worst.join()
        finally:
            stop_group(process, timeout=30)
    growth = rss_after / rss_before - 1
    ratio = beside["p99"] / alone["p99"]
    print(f"maximum: {maximum['rate']:,.0f} requests/s (16 connections, one lead each)")
    for name, run in (("alone", alone), ("beside the worst requests", beside)):
        print(
            f"{name}: {run['rate']:,.0f} requests/s ({run['rate'] / maximum['rate']:.0%} of the "
            f"maximum) for {args.seconds} s, p99 {run['p99']:.1f} ms, {run['failed']} failed"
            + (f", socket errors {run['socket_errors']}" if run["socket_errors"] else "")
        )
    print(
        f"memory of server and worker: {rss_before / 2**20:,.0f} MB before, "
        f"{rss_after / 2**20:,.0f} MB after the soak ({growth:+.1%}; target < +10%)"
    )
    statuses = sorted({s for s, _, _ in seen})
    slowest = max((t for _, t, _ in seen), default=0)
    print(
        f"worst requests: {len(seen)} sent ({len(bodies[0]):,} bytes the largest), statuses "
        f"{statuses}, slowest {slowest:.2f} s; p99 of the others {ratio:.2f}x (target <= 2)"
    )
    failed = alone["failed"] + beside["failed"] + sum(s >= 500 for s, _, _ in seen)
    if failed or growth >= 0.10 or ratio > 2:
        raise SystemExit("target missed")


if __name__ == "__main__":
    main()
