"""A Dask client: to a running ``distributed`` scheduler by address, or a local cluster.

leadscore never builds its own cluster machinery: whoever runs the job points it at a
scheduler (``--dask-scheduler tcp://host:8786`` or ``dask.scheduler`` in a training config),
or asks for a ``LocalCluster`` of some worker processes on this machine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field

from leadscore.common.config import StrictModel
from leadscore.common.errors import InputError


class DaskSettings(StrictModel):
    """Where Dask work runs and how finely the data is cut."""

    scheduler: str | None = Field(
        None, description="address of a running scheduler; none: a LocalCluster"
    )
    workers: int = Field(2, ge=1, description="LocalCluster worker processes (one thread each)")
    partitions: int | None = Field(
        None, ge=1, description="customer partitions (default: four per worker thread)"
    )
    memory_limit: str = Field("auto", description="per LocalCluster worker, e.g. '4GiB'")


@contextmanager
def dask_client(settings: DaskSettings) -> Iterator[object]:
    """A ``distributed.Client``, closed (and a local cluster shut down) on exit."""
    from distributed import (  # the optional Dask engine loads only when a job runs on it
        Client,
        LocalCluster,
    )

    if settings.scheduler is not None:
        try:
            client = Client(settings.scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {settings.scheduler}: {exc}. "
                "Start it (dask scheduler) or leave --dask-scheduler out for a local cluster"
            ) from exc
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=settings.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never a clash
        memory_limit=settings.memory_limit,
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client


def partition_count(settings: DaskSettings, client: object) -> int:
    """The configured number of customer partitions, or four per worker thread."""
    if settings.partitions is not None:
        return settings.partitions
    threads = sum(client.nthreads().values())  # type: ignore[attr-defined]
    return max(4 * threads, 1)
