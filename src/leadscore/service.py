"""The BentoML service: wiring only (``bentoml serve leadscore.service:LeadScoring``).

BentoML imports this module to serve it, so importing it is the service's start-up: the
settings are read from the environment once (see ``leadscore.serving.settings``) and the
BentoML work-arounds are applied before BentoML builds its app. Nothing else imports it.
The logic lives in ``leadscore.serving`` and ``leadscore.scoring``.
"""

from __future__ import annotations

import os
import threading
from functools import cache, partial
from pathlib import Path
from typing import Annotated

import bentoml
from bentoml.exceptions import BadInput
from pydantic import Field
from starlette.responses import Response

from leadscore import __version__
from leadscore.common.errors import InputError
from leadscore.decisions.alerts import load_alert_config
from leadscore.decisions.crm import load_crm_config
from leadscore.scoring.champions import champion_versions, load_champions, unservable
from leadscore.scoring.live import LiveScorer
from leadscore.scoring.log_queue import ScoreLogQueue
from leadscore.scoring.scorer import Scorer
from leadscore.serving.bentoml_fixes import (
    cancel_request_timers,
    fixed_json_media_type,
    freeze_loaded_objects,
    keep_inputs_out_of_logs,
    label_unknown_routes,
    refuse_unknown_fields,
    stop_listening_first,
    trace_requests_not_messages,
)
from leadscore.serving.bulk import BulkScorer, LargeBodiesMiddleware
from leadscore.serving.contract import Lang, Lead, LeadError, LeadNotScored, LeadResult, TopK
from leadscore.serving.dispatch import scored_json
from leadscore.serving.intake import HISTORY, INTAKE_PATHS, IntakeMiddleware
from leadscore.serving.keeper import FeatureKeeper
from leadscore.serving.keys import ApiKeyMiddleware
from leadscore.serving.limits import RequestLimitsMiddleware
from leadscore.serving.middleware import ErrorShapeMiddleware, ReadinessMiddleware
from leadscore.serving.openapi import leadscore_document
from leadscore.serving.outage import StoreOutageMiddleware, StoreProbe, unavailable_body
from leadscore.serving.pages import PAGES, PagesMiddleware
from leadscore.serving.reads import FEED, LEAD, ReadsMiddleware
from leadscore.serving.settings import ServiceSettings
from leadscore.serving.watcher import ModelWatcher, StatusBoard
from leadscore.serving.webhooks import Deliverer, webhook_secret
from leadscore.serving.writeback import run_all, writers_for
from leadscore.store.database import engine_for
from leadscore.store.outage import OUTAGES
from leadscore.store.store import Store
from leadscore.workspace.app import Workspace, WorkspaceConfig, WorkspaceMiddleware
from leadscore.workspace.session import Sessions, session_secret

settings = ServiceSettings.from_environment(os.environ)
alert_config = None if settings.alerts is None else load_alert_config(settings.alerts)
if alert_config is not None and settings.database_url is None:
    raise InputError(
        "LEADSCORE_ALERTS needs the store: alerts wait in its outbox (set "
        "LEADSCORE_DATABASE_URL, or start with leadscore serve where the store is)"
    )
alert_secret = None if alert_config is None else webhook_secret(alert_config.webhook)
crm_config = None if settings.crm is None else load_crm_config(settings.crm)
if crm_config is not None and settings.database_url is None:
    raise InputError(
        "LEADSCORE_CRM needs the store: the scores written back are read from its score "
        "log (set LEADSCORE_DATABASE_URL, or start with leadscore serve where the store is)"
    )
BULK_START_SECONDS = 120  # the longest start-up waits for the bulk process to load
SHUTDOWN_WRITE_SECONDS = 20  # the longest a stop waits for queued scores to be written
board = StatusBoard()
# how the service and its bulk processes load the champions and learn of new ones
load = partial(
    load_champions,
    settings.conversion_model,
    settings.nbo_model,
    settings.feature_store,
    accept_unknown_event_types=settings.unknown_event_types == "accept",
    lenient_profiles=settings.profile_checks == "lenient",
    min_information=settings.min_information,
    timezone=settings.timezone,
    database_url=settings.database_url,
    alerts=alert_config,
)
versions = partial(champion_versions, settings.conversion_model, settings.nbo_model)
# the scores requests log are written by a thread of the service's own (see log_queue)
score_log = ScoreLogQueue()


def load_for_requests() -> tuple[Scorer, dict[str, str]]:
    """The champions as ``load`` gives them, the scores they log handed to ``score_log``."""
    scorer, found = load()
    return scorer.logging_to(score_log), found


bulk = BulkScorer(  # its processes start with the service
    load,
    versions,
    reload_seconds=settings.reload_seconds,
    max_batch=settings.max_batch,
    processes=settings.bulk_processes,
)
ROUTES = frozenset(
    {*PAGES, *INTAKE_PATHS, FEED, "/score", "/healthz", "/livez", "/readyz", "/metrics"}
)

cancel_request_timers()  # before BentoML builds its app: see leadscore.serving.bentoml_fixes
trace_requests_not_messages()
keep_inputs_out_of_logs()
stop_listening_first()
label_unknown_routes(
    ROUTES, {HISTORY: "/leads/{customer_id}/history", LEAD: "/leads/{customer_id}"}
)


@bentoml.service(
    name="leadscore",
    traffic={"timeout": 60},
    logging={"access": {"enabled": settings.access_log}},
    # where `bentoml serve` listens without --host (or BENTOML_HOST): where `leadscore
    # serve` does, this machine only unless LEADSCORE_HOST says otherwise
    http={"host": str(settings.host)},
)
class LeadScoring:
    @bentoml.on_deployment
    def refuse_unservable_champions() -> None:
        """Once, in BentoML's server before it starts its workers (not at ``bentoml build``,
        which imports this module too, nor in each worker): champions the workers cannot
        load would leave the server up on a port that never answers, so they are refused
        here in the words of ``leadscore serve``."""
        refusal = unservable(settings.conversion_model, settings.nbo_model)
        if refusal is not None:
            raise InputError(refusal)

    def __init__(self) -> None:
        bulk_loaded = bulk.start()  # beside the service's own loading
        score_log.start()
        self.watcher = ModelWatcher(load_for_requests, versions, settings.reload_seconds)
        self.watcher.start()
        # ready means ready for large requests too (and a stop from here on reaches a bulk
        # process that lets the requests it holds finish)
        bulk.wait_loaded(bulk_loaded, timeout=BULK_START_SECONDS)
        board.watcher, board.bulk_status = self.watcher, bulk.status
        board.score_log_status = score_log.status
        self.stopping = threading.Event()  # set at shutdown; the threads are daemons too
        if alert_config is not None and alert_secret is not None:
            deliverer = Deliverer(
                Store.open(settings.database_url), alert_config.webhook, alert_secret
            )
            threading.Thread(
                target=deliverer.run, args=(self.stopping,), name="webhooks", daemon=True
            ).start()
        if crm_config is not None and settings.database_url is not None:
            writers = writers_for(crm_config, Store.open(settings.database_url))
            threading.Thread(
                target=run_all, args=(writers, self.stopping), name="crm-writeback", daemon=True
            ).start()
        if settings.database_url is not None:
            probe = StoreProbe(Store.open(settings.database_url))
            probe.start(self.stopping)
            board.store_status = probe.status
            keeper = FeatureKeeper(live_scorer)
            board.kept_status = keeper.status
            threading.Thread(
                target=keeper.run, args=(self.stopping,), name="kept-features", daemon=True
            ).start()
        freeze_loaded_objects()

    @bentoml.on_shutdown
    def write_queued_scores(self) -> None:
        """At a stop, once the requests in flight are answered: the scores they logged
        are written before the process ends."""
        self.stopping.set()
        score_log.close(timeout=SHUTDOWN_WRITE_SECONDS)

    @bentoml.api(route="/score")
    async def score(
        self,
        leads: Annotated[list[Lead], Field(min_length=1, max_length=settings.max_batch)],
        lang: Lang = "en",
        top_k: TopK = 5,
    ) -> list[LeadResult | LeadError | LeadNotScored]:
        """Scores with reasons and next-best offers for 1 to LEADSCORE_MAX_BATCH leads: each
        lead gets its result, its error item where it cannot be scored, or a
        not-enough-data item where its record holds too little."""
        try:
            status, body = await scored_json(
                self.watcher.state.scorer,
                leads,
                lang=lang,
                top_k=top_k,
                bulk=bulk,
                inline_leads=settings.inline_leads,
                max_batch=settings.max_batch,
            )
        except InputError as exc:  # bad input is the caller's to fix: 400, never 500
            raise BadInput(str(exc)) from None
        except OUTAGES as exc:  # the store down or locked: 503 with Retry-After, not 500
            body, retry = unavailable_body(exc)
            headers = {"Retry-After": str(retry)}
            return Response(body, 503, headers=headers, media_type="application/json")
        # the annotation declares the schema; leadscore.serving.contract.results_json
        # writes the body (BentoML passes a Response through as it is)
        return Response(body, status_code=status, media_type="application/json")


@cache
def _bentoml_document() -> dict:
    return LeadScoring.openapi_spec.asdict()


def openapi_document() -> dict:
    """The OpenAPI document, naming the profile fields of the champion serving now."""
    scorer = board.watcher.state.scorer if board.watcher is not None else None
    strict = scorer is not None and settings.profile_checks == "strict"
    return leadscore_document(
        _bentoml_document(),
        version=__version__,
        max_batch=settings.max_batch,
        max_body=settings.max_body_bytes,
        profile=scorer.records.profile_kinds() if scorer is not None and strict else None,
        event_types=event_types(),
    )


def champions() -> Scorer | None:
    """The Scorer of the champions (None before they are loaded)."""
    return board.watcher.state.scorer if board.watcher is not None else None


def live_scorer() -> LiveScorer | None:
    """The champions' live scorer (None before they are loaded, or without a store)."""
    scorer = champions()
    return None if scorer is None else scorer.live


def event_types() -> frozenset[str] | None:
    """The event types intake accepts: those the models know, unless any are accepted."""
    scorer = champions()
    if settings.unknown_event_types == "accept" or scorer is None:
        return None
    return scorer.records.known_event_types


@cache
def workspace() -> Workspace:
    """The sales workspace's pages, made at their first request (on the event loop: made
    without a word to the database, whose schema the service brought up to date at its
    start; a store away is a 503 page when a page reads it)."""
    url = settings.database_url
    store = Store(engine_for(url)) if url is not None else None
    return Workspace(
        store=store,
        scorer=champions,
        sessions=Sessions(session_secret(os.environ, Path.cwd())),
        config=WorkspaceConfig(
            users_file=settings.workspace_users,
            territory_column=settings.workspace_territory or None,
            name_column=settings.workspace_name or None,
            conversion_model=settings.conversion_model,
            timezone=settings.workspace_timezone,
            outcome_actions=settings.workspace_outcome_actions,
        ),
    )


fixed_json_media_type(LeadScoring)
refuse_unknown_fields(LeadScoring)
# outermost first: the workspace's pages have sessions of their own (no API key opens
# them); every other error gets one shape; keys are checked before a body is read
LeadScoring.add_asgi_middleware(WorkspaceMiddleware, workspace=workspace)
LeadScoring.add_asgi_middleware(ErrorShapeMiddleware)
LeadScoring.add_asgi_middleware(StoreOutageMiddleware)
LeadScoring.add_asgi_middleware(ApiKeyMiddleware, keys=set(settings.api_keys))
LeadScoring.add_asgi_middleware(
    RequestLimitsMiddleware,
    max_body=settings.max_body_bytes,
    json_paths=("/score", *INTAKE_PATHS),
)
LeadScoring.add_asgi_middleware(
    IntakeMiddleware, live=live_scorer, event_types=event_types, logged=score_log.flush
)
LeadScoring.add_asgi_middleware(ReadsMiddleware, live=live_scorer, logged=score_log.flush)
LeadScoring.add_asgi_middleware(
    LargeBodiesMiddleware, bulk=bulk, threshold=settings.bulk_bytes, path="/score"
)
LeadScoring.add_asgi_middleware(
    PagesMiddleware, document=openapi_document, status=board.status, version=__version__
)
LeadScoring.add_asgi_middleware(ReadinessMiddleware, status=board.status)
