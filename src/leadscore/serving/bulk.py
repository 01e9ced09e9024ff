"""Large requests scored in a separate process, so that they never hold up the small ones.

Validating and scoring a large body holds Python's global lock for most of its time
(pydantic-core and pandas do not release it): in the service's own process, a 3 MB
request held every small request beside it for up to a second, whether on the event loop
or in a thread. Here a large body is handed over as bytes, and a spawned process
validates it with the same request model, scores it with its own Scorer on the champions
(watched for new ones like the service's) and hands back the response's bytes. That
process runs at a lower CPU priority, so on a busy machine the small requests come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from leadscore.common.errors import InputError
from leadscore.serving.contract import Lang, Lead, TopK, results_json
from leadscore.serving.dispatch import score_leads
from leadscore.serving.limits import replaying
from leadscore.serving.watcher import ModelWatcher
from leadscore.store.outage import OUTAGES, RETRY_AFTER_SECONDS, unavailable

# The bulk process's niceness, the lowest: when both want the CPU, the scheduler gives it
# to the service's own process (the small requests) first. (Linux's SCHED_IDLE measured
# the same in benchmarks/bench_service_soak.py, and nice is there on every Unix.)
BULK_NICENESS = 19
NO_MODELS = "no models:"  # how a bulk process that cannot load them begins its answer
PARENT_CHECK_SECONDS = 0.5  # how soon a bulk process ends after the service's process

log = logging.getLogger("leadscore.service")


def request_model(max_batch: int) -> type[BaseModel]:
    """The body of ``POST /score`` as the service's endpoint declares it to BentoML (a
    field unknown to it refused, there by ``bentoml_fixes.refuse_unknown_fields``)."""
    return create_model(
        "Input",  # BentoML's name for it, which its messages name
        __config__=ConfigDict(extra="forbid"),
        leads=(Annotated[list[Lead], Field(min_length=1, max_length=max_batch)], ...),
        lang=(Lang, "en"),
        top_k=(TopK, 5),
    )


class BulkScorer:
    """The service's side: a pool of spawned scoring processes, started with the service
    so that their models are loaded before the first large request comes.

    ``load`` and ``versions`` are the service's own watcher's (``ModelWatcher``), picklable
    (module-level functions or partials of them): each process watches the champions with
    them every ``reload_seconds``.
    """

    def __init__(
        self,
        load: Callable[[], tuple[Any, dict[str, str]]],
        versions: Callable[[], dict[str, str]],
        *,
        reload_seconds: float,
        max_batch: int,
        processes: int = 1,
        niceness: int = BULK_NICENESS,
    ) -> None:
        self._setup = (load, versions, reload_seconds, max_batch, niceness)
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._status = "starting"

    def start(self) -> Future:
        """Starts the processes and has them load their models now; the future is done
        once they have (``wait_loaded``)."""
        self._status = "starting"
        self._pool = self._new_pool()
        loaded = self._pool.submit(loaded_versions)
        loaded.add_done_callback(self._loaded)
        return loaded

    @staticmethod
    def wait_loaded(loaded: Future, *, timeout: float) -> None:
        """Waits until ``start``'s processes have loaded their models, or failed to (the
        service serves small requests either way; ``status`` says which)."""
        with contextlib.suppress(Exception):
            loaded.result(timeout=timeout)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def status(self) -> str:
        """'starting', 'ready', or why the bulk process has no models (as it last said)."""
        return self._status

    def _loaded(self, future: Future) -> None:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            self._status = f"{NO_MODELS} {type(error).__name__}: {error}"[:500]
            # asked again in a while, not only at the next large request: /readyz says not
            # ready meanwhile, so a load balancer would send none, and it would stay so
            retry = threading.Timer(self._setup[2], self._load_again, args=(self._pool,))
            retry.daemon = True
            retry.start()
        elif not future.cancelled():
            self._status = "ready"

    def _load_again(self, pool: ProcessPoolExecutor | None) -> None:
        if pool is None or pool is not self._pool or self._status == "ready":
            return  # replaced or stopped meanwhile, or loaded by a request
        with contextlib.suppress(RuntimeError, BrokenProcessPool):  # shut down meanwhile
            pool.submit(loaded_versions).add_done_callback(self._loaded)

    async def score_body(self, body: bytes) -> tuple[int, bytes]:
        """The status and JSON body of the response to ``body`` (a request to /score)."""
        return await self._call(score_body, body)

    async def score_leads(self, leads: list[Lead], *, lang: str, top_k: int) -> tuple[int, bytes]:
        """The status and JSON body of the response for leads validated already."""
        return await self._call(score_leads_json, leads, lang, top_k)

    async def _call(self, function, *args) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        pool = self._pool or self._replace(None)
        try:
            future = loop.run_in_executor(pool, function, *args)
        except BrokenProcessPool:  # it stopped between requests: a fresh one takes this one
            pool = self._replace(pool)
            future = loop.run_in_executor(pool, function, *args)
        try:
            status, body = await future
        except BrokenProcessPool:
            self._replace(pool)
            return 503, _json(
                {
                    "error": "the bulk scoring process stopped while scoring this request; "
                    "a new one is starting: send the request again"
                }
            )
        if status != 503:
            self._status = "ready"
        elif (error := json.loads(body)["error"]).startswith(NO_MODELS):
            # (a 503 of the store being away is the store probe's to tell, not this one's)
            self._status = error[:500]
        return status, body

    def _replace(self, broken: ProcessPoolExecutor | None) -> ProcessPoolExecutor:
        if self._pool is broken:  # not replaced yet by another request that saw it break
            if broken is not None:
                log.error("the bulk scoring process stopped; starting a new one")
                broken.shutdown(wait=False, cancel_futures=True)
            self.start()
        return self._pool

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawned, not forked: the service's process has threads (a fork copies their locks)
        # and the listening socket, which a fresh interpreter does not inherit
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=self._setup,
        )


class LargeBodiesMiddleware:
    """ASGI middleware: a ``POST`` to ``path`` whose body is over ``threshold`` bytes is
    answered by the bulk process, without being parsed here; the others are handed on.
    Sits inside the middleware that bounds a body's size, so the body is bounded here."""

    def __init__(self, app, *, bulk: BulkScorer, threshold: int, path: str = "/score") -> None:
        self.app = app
        self.bulk = bulk
        self.threshold = threshold
        self.path = path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if len(body) <= self.threshold:
            await self.app(scope, replaying(body, receive), send)
            return
        status, payload = await self.bulk.score_body(body)
        length = str(len(payload)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", length)]
        if status == 503:  # the store or the process unavailable a while: try again later
            headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


# The bulk process's side: what the service handed it at its start, and its own champion
# watcher.
_process: dict[str, Any] = {}


def _start(load, versions, reload_seconds: float, max_batch: int, niceness: int) -> None:
    os.nice(niceness)  # first: the threads started after this (LightGBM's too) inherit it
    # A stop is the service's to handle: BentoML signals a worker's children with it, and
    # the requests this process holds must still be answered while the worker drains. It
    # ends when the service's process does (its pool says so, or its pipe closes).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # ... and if that process ends without a word (killed), this one must not live on:
    # its task queue never closes, since each side holds both of its ends
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s bulk scoring %(levelname)s %(message)s"
    )
    _process.update(
        load=load,
        versions=versions,
        reload_seconds=reload_seconds,
        max_batch=max_batch,
        request=request_model(max_batch),
    )


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _watcher() -> ModelWatcher:
    """The process's champion watcher, made at its first use: a failed load is tried
    again at the next request rather than breaking the process."""
    if "watcher" not in _process:
        watcher = ModelWatcher(_process["load"], _process["versions"], _process["reload_seconds"])
        watcher.start()
        _process["watcher"] = watcher
    return _process["watcher"]


def loaded_versions() -> dict[str, str]:
    """In the bulk process: the versions it serves, once its models are loaded."""
    return _watcher().state.versions


def score_body(body: bytes) -> tuple[int, bytes]:
    """In the bulk process: the response to one raw request body, as BentoML would give it
    (a 400 with pydantic's errors for a body the request model refuses)."""
    try:
        request = _process["request"].model_validate_json(body)
    except ValidationError as exc:
        detail = exc.errors(include_context=False, include_input=False, include_url=False)
        error = f"{exc.error_count()} validation error for {exc.title}"
        return 400, _json({"error": error, "detail": detail})
    return score_leads_json(request.leads, request.lang, request.top_k)


def score_leads_json(leads: list[Lead], lang: str, top_k: int) -> tuple[int, bytes]:
    """In the bulk process: the status and response body for validated leads."""
    try:
        scorer = _watcher().state.scorer
    except Exception as exc:  # the models cannot be loaded: say why, and try again later
        return 503, _json({"error": f"{NO_MODELS} {type(exc).__name__}: {exc}"})
    max_batch = _process["max_batch"]
    try:
        results = score_leads(scorer, leads, lang=lang, top_k=top_k, max_batch=max_batch)
    except InputError as exc:
        return 400, _json({"error": str(exc)})
    except OUTAGES as exc:  # the store down or locked past its timeout: 503, not 500
        return 503, _json({"error": str(unavailable(exc))})
    return 200, results_json(results)


def _json(payload: dict) -> bytes:
    return json.dumps(payload).encode()
