"""BentoML service: wiring only. The logic lives in leadscore.api and leadscore.scoring.

Configuration (environment):
  LEADSCORE_API_KEYS         comma-separated API keys (or LEADSCORE_API_KEYS_FILE)
  LEADSCORE_FEATURE_STORE    feature table (Parquet) of known customers, as of now
  LEADSCORE_CONVERSION_MODEL registered model name (default leadscore-conversion)
  LEADSCORE_NBO_MODEL        registered model name (default leadscore-nbo; '' for none)
  LEADSCORE_RELOAD_SECONDS   how often to look for a new champion (default 10; 0: never)
  LEADSCORE_MAX_BATCH        most leads in one request (default 1000)
  LEADSCORE_INLINE_LEADS     requests with up to this many leads are scored on the event
                             loop, larger ones in a worker thread (default 16)
  LEADSCORE_ACCESS_LOG       1: log a line per request (default 0: a tenth of a one-lead
                             request's time; counts, status codes and latencies are in
                             /metrics, rejected requests and errors are logged anyway)
  MLFLOW_TRACKING_URI        the registry (default: mlflow.db in the working directory)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import bentoml
from bentoml.exceptions import BadInput
from pydantic import Field
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadscore.api import (
    MAX_BATCH,
    ApiKeyMiddleware,
    FieldErrorsMiddleware,
    Lead,
    LeadResult,
    ModelWatcher,
    ReadinessMiddleware,
    StatusBoard,
    scored_json,
)
from leadscore.bentoml_fixes import (
    cancel_request_timers,
    fixed_json_media_type,
    freeze_loaded_objects,
    keep_inputs_out_of_logs,
    trace_requests_not_messages,
)
from leadscore.errors import InputError
from leadscore.scoring import champion_versions, load_champions

CONVERSION = os.environ.get("LEADSCORE_CONVERSION_MODEL", "leadscore-conversion")
NBO = os.environ.get("LEADSCORE_NBO_MODEL", "leadscore-nbo") or None
STORE = os.environ.get("LEADSCORE_FEATURE_STORE")
RELOAD = float(os.environ.get("LEADSCORE_RELOAD_SECONDS", "10"))
ACCESS_LOG = os.environ.get("LEADSCORE_ACCESS_LOG", "0") == "1"

board = StatusBoard()


async def model_status(request) -> JSONResponse:
    return JSONResponse(board.status())


status_app = Starlette(routes=[Route("/", model_status)])
cancel_request_timers()  # before BentoML builds its app: see leadscore.bentoml_fixes
trace_requests_not_messages()
keep_inputs_out_of_logs()


@bentoml.service(
    name="leadscore", traffic={"timeout": 60}, logging={"access": {"enabled": ACCESS_LOG}}
)
class LeadScoring:
    def __init__(self) -> None:
        self.watcher = ModelWatcher(
            lambda: load_champions(CONVERSION, NBO, Path(STORE) if STORE else None),
            lambda: champion_versions(CONVERSION, NBO),
            RELOAD,
        )
        self.watcher.start()
        board.watcher = self.watcher
        freeze_loaded_objects()

    @bentoml.api(route="/score")
    async def score(
        self,
        leads: Annotated[list[Lead], Field(min_length=1, max_length=MAX_BATCH)],
        lang: Literal["de", "en"] = "en",
        top_k: Annotated[int, Field(ge=0, le=50)] = 5,
    ) -> list[LeadResult]:
        """Scores with reasons and next-best offers for 1 to LEADSCORE_MAX_BATCH leads."""
        try:
            scorer = self.watcher.state.scorer
            body = await scored_json(scorer, leads, lang=lang, top_k=top_k)
        except InputError as exc:  # bad input is the caller's to fix: 400, never 500
            raise BadInput(str(exc)) from None
        # the annotation declares the schema; leadscore.api.results_json writes the body
        # (BentoML passes a Response through as it is)
        return Response(body, media_type="application/json")


fixed_json_media_type(LeadScoring)
LeadScoring.add_asgi_middleware(FieldErrorsMiddleware)
LeadScoring.add_asgi_middleware(ApiKeyMiddleware)
LeadScoring.add_asgi_middleware(ReadinessMiddleware, status=board.status)
LeadScoring.mount_asgi_app(status_app, path="/model-status")
