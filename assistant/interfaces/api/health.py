"""``GET /healthz`` (ready only with the model loaded and the index answering) and
``GET /metrics`` (Prometheus text; needs a key when keys are required)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from assistant.interfaces.api.context import Context
from assistant.interfaces.api.schemas import Health

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def router(ctx: Context) -> APIRouter:
    """The health and metrics routes over ``ctx``."""
    api = APIRouter(tags=["operations"])

    @api.get("/healthz", response_model=Health, responses={503: {"model": Health}})
    async def healthz() -> JSONResponse:
        """200 when questions can be answered; 503 while loading, after a failure, or
        while the index cannot be reached."""
        engine = ctx.engine
        if engine.failed is not None:
            health = Health(status="failed", detail=engine.failed)
        elif engine.qa is None:
            health = Health(status="loading", detail=ctx.texts.get("loading"))
        else:
            health = await run_in_threadpool(_probe, ctx)
        status = 200 if health.status == "ready" else 503
        return JSONResponse(health.model_dump(exclude_none=True), status)

    @api.get("/metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        """Request counts, errors and latency per route; answer stages; index size."""
        ctx.authorize(request)
        return Response(await run_in_threadpool(ctx.metrics.render), media_type=PROMETHEUS)

    return api


def _probe(ctx: Context) -> Health:
    from assistant.errors import StoreUnavailable

    qa = ctx.engine.qa
    assert qa is not None
    try:
        qa.store.ping()
        docs, chunks = qa.store.counts()
    except StoreUnavailable as exc:
        return Health(status="unavailable", detail=str(exc))
    return Health(status="ready", documents=docs, chunks=chunks)
