"""Liveness (process up) and readiness (store answers, model loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ComponentsDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    store: bool
    chunks: int | None = None
    model: bool


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Ready to answer: the store answers and the model is loaded",
    responses={503: {"model": Readiness, "description": "Not ready yet (or the store is unreachable)."}},
)
def readyz(request: Request, components: ComponentsDep) -> JSONResponse:
    store_ok, chunks = False, None
    try:
        store_ok = components.store.heartbeat()
        chunks = components.store.count() if store_ok else None
    except Exception:  # noqa: BLE001 - any store failure means "not ready"
        store_ok = False
    model_ok = bool(getattr(request.app.state, "model_ready", False))
    ready = store_ok and model_ok
    body = Readiness(status="ready" if ready else "not ready", store=store_ok, chunks=chunks, model=model_ok)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
