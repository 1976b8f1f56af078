"""Error responses: failures of the things the API depends on, invalid requests, and the
OpenAI error object on ``/v1``.

When the Chroma server (or any other HTTP backend reached through httpx) cannot be reached or
times out, a request gets ``503 Service Unavailable`` with ``Retry-After``; the app keeps
running and answers again as soon as the store is back.

``/api/*`` errors carry FastAPI's ``{"detail": …}``. ``/v1/*`` errors carry OpenAI's
``{"error": {"message", "type", "param", "code"}}`` with the status OpenAI would send (an
invalid body is 400, not 422), so that OpenAI clients raise their usual exception
(``BadRequestError``, ``NotFoundError``, ``RateLimitError``, ``InternalServerError``) with the
error object as its ``body``. The middlewares (body limit, rate limit) shape their errors with
:func:`error_payload` too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
UNAVAILABLE_DETAIL = "The document store is temporarily unavailable; please try again shortly."
OPENAI_PREFIX = "/v1/"


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    """OpenAI's error object: the body of every error on ``/v1`` (and an event in a failed stream)."""

    error: OpenAIErrorBody


class OpenAIException(Exception):
    """Raised by a ``/v1`` route for an error OpenAI has its own code for (e.g. ``model_not_found``)."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def is_openai(path: str) -> bool:
    return path.startswith(OPENAI_PREFIX)


def openai_type(status: int) -> str:
    # The types OpenAI's API sends: "requests" is its type for a requests-per-minute limit.
    if status == 429:
        return "requests"
    return "server_error" if status >= 500 else "invalid_request_error"


def openai_error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    if status == 429:
        code = code or "rate_limit_exceeded"
    body = OpenAIErrorBody(message=message, type=openai_type(status), param=param, code=code)
    return OpenAIError(error=body).model_dump(mode="json")


def error_payload(path: str, status: int, message: str, **openai: str | None) -> dict[str, Any]:
    """The JSON body of an error at ``path``: OpenAI's error object on /v1, ``{"detail"}`` elsewhere."""
    return openai_error(status, message, **openai) if is_openai(path) else {"detail": message}


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: backend unavailable (%s)", request.method, request.url.path, type(exc).__name__)
    body = error_payload(request.url.path, 503, UNAVAILABLE_DETAIL, code="service_unavailable")
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def _param(loc: Sequence[Any]) -> str | None:
    """("body", "messages", 0, "content") → "messages[0].content", the way OpenAI names a parameter."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path") else loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or None


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 listing what is wrong (on /v1: OpenAI's 400), without echoing the input back.

    FastAPI's default handler echoes each invalid value; a body like ``{"question": 1e999}``
    then holds an infinite float that JSON cannot encode, and the error itself became a 500.
    """
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if is_openai(request.url.path):
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":  # its loc is a character offset, not a parameter
            message = f"We could not parse the JSON body of your request: {first.get('msg')}."
            return JSONResponse(openai_error(400, message, code="invalid_json"), status_code=400)
        param = _param(first.get("loc", ()))
        message = f"Invalid '{param}': {first.get('msg', 'invalid request')}." if param else str(first.get("msg", "Invalid request."))
        if len(errors) > 1:
            message += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in the request.)"
        code = "missing_required_parameter" if first.get("type") == "missing" else "invalid_value"
        return JSONResponse(openai_error(400, message, param=param, code=code), status_code=400)
    detail = [{"type": e.get("type"), "loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg")} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405, an unreadable body (400), ...: OpenAI's error object on /v1, FastAPI's own elsewhere."""
    assert isinstance(exc, StarletteHTTPException)
    if not is_openai(request.url.path):
        return await http_exception_handler(request, exc)
    message = str(exc.detail)
    if exc.status_code in (404, 405):  # OpenAI's wording for a path or method it does not serve
        message = f"Invalid URL ({request.method} {request.url.path})"
    return JSONResponse(openai_error(exc.status_code, message), status_code=exc.status_code, headers=exc.headers)


async def openai_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenAIException)
    return JSONResponse(openai_error(exc.status, exc.message, param=exc.param, code=exc.code), status_code=exc.status)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure (Starlette still logs it and re-raises after this response)."""
    if is_openai(request.url.path):
        message = "The server had an error while processing your request."
        return JSONResponse(openai_error(500, message), status_code=500)
    return PlainTextResponse("Internal Server Error", status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Connection failures and timeouts (httpx transport errors, OS connection errors) → 503;
    invalid requests → 422 (on /v1: 400) that never fails to serialise; on /v1 every error
    as OpenAI's error object."""
    for exc_type in (httpx.TransportError, ConnectionError, TimeoutError):
        app.add_exception_handler(exc_type, store_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OpenAIException, openai_exception)
    app.add_exception_handler(Exception, server_error)
