"""Failures of the things the API depends on, mapped to clear HTTP errors instead of 500s.

When the Chroma server (or any other HTTP backend reached through httpx) cannot be reached or
times out, a request gets ``503 Service Unavailable`` with ``Retry-After`` and a JSON
``detail``; the app keeps running and answers again as soon as the store is back.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
UNAVAILABLE_DETAIL = "The document store is temporarily unavailable; please try again shortly."


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: backend unavailable (%s)", request.method, request.url.path, type(exc).__name__)
    return JSONResponse({"detail": UNAVAILABLE_DETAIL}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 listing what is wrong, without echoing the input back.

    FastAPI's default handler echoes each invalid value; a body like ``{"question": 1e999}``
    then holds an infinite float that JSON cannot encode, and the error itself became a 500.
    """
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"type": e.get("type"), "loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg")} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Connection failures and timeouts (httpx transport errors, OS connection errors) → 503;
    invalid requests → 422 that never fails to serialise."""
    for exc_type in (httpx.TransportError, ConnectionError, TimeoutError):
        app.add_exception_handler(exc_type, store_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
