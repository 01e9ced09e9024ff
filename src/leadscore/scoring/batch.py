"""Batch scoring of feature tables with the service's ``PureScorer``: one file, or on Dask.

Both write one JSON object per lead and line, as the service returns them. The Dask path
reads a partitioned feature table (a folder of Parquet files, e.g. from ``leadscore
features --dask-workers``) and writes one ``part-NNNNN.jsonl`` per input partition, so a
failed partition can be rerun alone and readers can stream the parts side by side.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

import pandas as pd

from leadscore.common.errors import InputError
from leadscore.scoring.pure import PureScorer

Advance = Callable[[int], None]  # told how many more rows are done


def write_results(results: Iterable[dict], handle: TextIO) -> None:
    for result in results:
        handle.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")


def score_file(
    scorer: PureScorer,
    frame: pd.DataFrame,
    out: Path,
    *,
    lang: str,
    top_k: int,
    batch_size: int,
    advance: Advance = lambda _: None,
) -> int:
    """Score a feature table held in memory into one JSON-lines file; rows scored.

    Each result carries its row's ``as_of``, so scores of several snapshots of one lead
    are told apart by more than their order.
    """
    scorer.check_table(list(frame.columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for start in range(0, len(frame), batch_size):
            chunk = frame.iloc[start : start + batch_size].reset_index(drop=True)
            results = scorer.score_frame(chunk, lang=lang, top_k=top_k)
            if "as_of" in chunk.columns:
                moments = pd.to_datetime(chunk["as_of"], utc=True)
                results = [
                    {"customer_id": r.get("customer_id"), "as_of": m.isoformat(), **r}
                    for r, m in zip(results, moments, strict=True)
                ]
            write_results(results, handle)
            advance(len(chunk))
    return len(frame)


def score_on_dask(
    scorer: PureScorer,
    source: Path,
    out: Path,
    client: object,
    *,
    lang: str,
    top_k: int,
    batch_size: int,
    advance: Advance = lambda _: None,
) -> tuple[int, list[Path]]:
    """Score every partition of a Parquet feature table on the cluster; rows and files."""
    # the optional Dask engine loads only when a job runs on it
    import dask
    import dask.dataframe as dd
    from distributed import as_completed

    if not source.exists():
        raise InputError(f"{source}: no such feature table (a Parquet file or folder of them)")
    frame = dd.read_parquet(source)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("part-*.jsonl"):  # a rerun with fewer partitions leaves none behind
        stale.unlink()
    shared = dask.delayed(scorer, pure=True)  # sent to each worker once, not once per task
    paths = [out / f"part-{i:05d}.jsonl" for i in range(frame.npartitions)]
    tasks = [
        dask.delayed(score_file)(shared, part, path, lang=lang, top_k=top_k, batch_size=batch_size)
        for part, path in zip(frame.to_delayed(), paths, strict=True)
    ]
    rows = 0
    for future in as_completed(client.compute(tasks)):  # type: ignore[attr-defined]
        done = future.result()
        rows += done
        advance(done)
    return rows, paths
