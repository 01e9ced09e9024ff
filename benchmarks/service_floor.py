"""The floor for the service benchmark: a minimal Starlette app doing the service's
in-process work (validate the request, score with the same Scorer, validate and write the
response), with nothing else around it. Run by ``bench_service.py`` under uvicorn:

    uvicorn service_floor:app --app-dir benchmarks --port 3001

Reads the same environment as the service (MLFLOW_TRACKING_URI, LEADSCORE_FEATURE_STORE).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadscore.common.errors import InputError
from leadscore.scoring.champions import load_champions
from leadscore.serving.bentoml_fixes import freeze_loaded_objects
from leadscore.serving.contract import ScoreRequest, results_json
from leadscore.serving.dispatch import score_leads


@asynccontextmanager
async def lifespan(app: Starlette):
    store = os.environ.get("LEADSCORE_FEATURE_STORE")
    app.state.scorer, _ = load_champions(
        "leadscore-conversion", "leadscore-nbo", Path(store) if store else None
    )
    freeze_loaded_objects()  # the service does, too
    yield


async def score(request: Request) -> Response:
    try:
        body = ScoreRequest.model_validate_json(await request.body())
        results = score_leads(
            request.app.state.scorer, body.leads, lang=body.lang, top_k=body.top_k
        )
    except (ValidationError, InputError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return Response(results_json(results), media_type="application/json")


app = Starlette(routes=[Route("/score", score, methods=["POST"])], lifespan=lifespan)
