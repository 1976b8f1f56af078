"""Liveness (process up) and readiness (store answers, model loaded, shared limit store answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ComponentsDep
from api.limiter import is_shared

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    store: bool
    chunks: int | None = None
    model: bool
    #: The shared limit store (Redis, ``RADSLAG_REDIS_URL``) answers a ping; None when the
    #: limits are counted in this process (no shared store to wait for).
    limit_store: bool | None = None


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Ready to answer: the store answers, the model is loaded, and the shared limit store (if any) answers",
    responses={503: {"model": Readiness, "description": "Not ready yet (or the store or the limit store is unreachable)."}},
)
def readyz(request: Request, components: ComponentsDep) -> JSONResponse:
    store_ok, chunks = False, None
    try:
        store_ok = components.store.heartbeat()
        chunks = components.store.count() if store_ok else None
    except Exception:  # noqa: BLE001 - any store failure means "not ready"
        store_ok = False
    model_ok = bool(getattr(request.app.state, "model_ready", False))
    # Every question spends from the limit store: with Redis down a replica would answer
    # 503 to all of them, so a load balancer should route around it.
    limits = getattr(request.app.state, "limit_storage", None)
    limit_ok = bool(limits.check()) if limits is not None and is_shared(limits) else None
    ready = store_ok and model_ok and limit_ok is not False
    body = Readiness(status="ready" if ready else "not ready", store=store_ok, chunks=chunks, model=model_ok, limit_store=limit_ok)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
