"""Benchmark: memory and time of validating a file of junk rows, against reading it.

Every one of the rows is rejected (a timestamp that is no timestamp), the worst case for
the problem list and the quarantine. The reference is the same file read by plain
``pandas.read_csv(dtype=str)`` in its own process, measured in the same run; the figure
that counts is the ratio of peak resident memory (target: at most 4x the reference).

    .venv/bin/python benchmarks/bench_validation_memory.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_RATIO = 4.0


def write_junk(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w") as handle:
        handle.write("customer_id,created_at,industry,size,country,source,score\n")
        for i in range(rows):
            handle.write(f"x{rng.random():.6f},notadate{i},ind{i % 7},sz,{rng.random()},src,{i}z\n")


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and wall seconds of a command, from GNU time."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    return int(done.stderr.strip().splitlines()[-1]) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "customers.csv"
        write_junk(data, args.rows)
        (folder / "source.yaml").write_text(
            "name: junk\nmax_rejected_share: 1\ntables: {customers: {path: customers.csv}}\n"
            "label: {kind: flag, column: score, positive: ['1']}\n"
        )
        size_mb = data.stat().st_size / 2**20
        read = "import pandas as pd, sys; pd.read_csv(sys.argv[1], dtype='str')"
        reference, reference_s = peak_rss_mb([str(BIN / "python"), "-c", read, str(data)])
        validate = [
            str(BIN / "leadscore"),
            "validate",
            str(folder / "source.yaml"),
            "--report",
            str(folder / "problems.csv"),
            "--quarantine",
            str(folder / "quarantine"),
        ]
        used, used_s = peak_rss_mb(validate)
    ratio = used / reference
    print(f"{args.rows:,} junk rows, {size_mb:.0f} MB of CSV, every row rejected")
    print(f"pandas.read_csv alone: {reference:,.0f} MB peak, {reference_s:.1f} s")
    print(f"leadscore validate --report --quarantine: {used:,.0f} MB peak, {used_s:.1f} s")
    print(
        f"ratio {ratio:.2f}x the plain read ({used / size_mb:.1f}x the file); "
        f"target at most {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
