"""What the OpenAPI document says about responses that are not a route's normal JSON body.

The routes declare every status the app can answer with — including the ones produced outside
the route by middleware (413 body limit, 429 rate limit), the error handlers (503 store
unavailable) or Starlette (400 unreadable body) — and the exact shape of the Server-Sent
Events they stream. ``tests/reliability/test_schemathesis.py`` holds the live app to it.

Event-stream schemas follow OpenAPI 3.1 practice: the ``text/event-stream`` schema describes
one event (``event``, ``data``), and ``data`` is JSON given by ``contentSchema``. The models
named there exist only inside streams, so :func:`install_openapi` adds them to the components
(with :class:`ErrorDetail` and :class:`~api.errors.OpenAIError`, which the error responses name
by reference).

``/v1`` speaks OpenAI's protocol: its errors are :class:`~api.errors.OpenAIError` objects
(``V1_*`` below) and an invalid body is a 400, so the document lists no 422 there.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.errors import OPENAI_PREFIX, OpenAIError

Responses = dict[int | str, dict[str, Any]]
REF = "#/components/schemas/{model}"


class ErrorDetail(BaseModel):
    """Every error except validation errors (422): one human-readable message."""

    detail: str


RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "string", "pattern": r"^\d+$"}}
}


def error(description: str, headers: dict[str, Any] | None = None, model: str = "ErrorDetail") -> dict[str, Any]:
    """A documented error with an :class:`ErrorDetail` (or other ``model``) JSON body.

    Spelled out rather than ``{"model": ErrorDetail}``: FastAPI files a ``model`` under the
    route's own media type, which would document an HTML page's 404/503 as ``text/html``.
    """
    doc: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }
    if headers:
        doc["headers"] = headers
    return doc


BAD_BODY: Responses = {400: error("The body could not be read (e.g. not UTF-8).")}
TOO_LARGE: Responses = {413: error("Request body over the limit (1 MB for JSON).")}
RATE_LIMITED: Responses = {429: error("Too many requests from this client.", RETRY_AFTER)}
UNAVAILABLE: Responses = {503: error("The document store is unreachable; try again.", RETRY_AFTER)}
NOT_FOUND: Responses = {404: error("No such document (or not visible to the caller).")}
JSON_BODY: Responses = BAD_BODY | TOO_LARGE
ADMIN: Responses = {
    401: error("No credentials.", {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}),
    403: error("Wrong token, not an admin, or admin disabled."),
}

# /v1: the same statuses with OpenAI's error object; validation errors are 400 there.
V1_BAD_REQUEST: Responses = {
    400: error("Invalid request: a parameter fails validation, or the body could not be read.", model="OpenAIError")
}
V1_NO_MODEL: Responses = {404: error("No such model (code `model_not_found`).", model="OpenAIError")}
V1_TOO_LARGE: Responses = {413: error("Request body over the limit (1 MB).", model="OpenAIError")}
V1_RATE_LIMITED: Responses = {
    429: error("Too many requests from this client (code `rate_limit_exceeded`).", RETRY_AFTER, model="OpenAIError")
}
V1_UNAVAILABLE: Responses = {
    503: error("The document store is unreachable; try again.", RETRY_AFTER, model="OpenAIError")
}


def _json_data(model: str) -> dict[str, Any]:
    return {"type": "string", "contentMediaType": "application/json", "contentSchema": {"$ref": REF.format(model=model)}}


def named_events(events: dict[str, str]) -> dict[str, Any]:
    """One event of a stream of named events; ``events`` maps event name → model of its JSON data."""
    return {
        "oneOf": [
            {
                "type": "object",
                "required": ["event", "data"],
                "properties": {"event": {"const": name}, "data": _json_data(model)},
            }
            for name, model in events.items()
        ]
    }


def json_messages(models: tuple[str, ...], done: str) -> dict[str, Any]:
    """One event of an OpenAI-style stream: unnamed events whose data is JSON of one of
    ``models``, then ``done``."""
    data = _json_data(models[0])
    if len(models) > 1:
        data["contentSchema"] = {"anyOf": [{"$ref": REF.format(model=m)} for m in models]}
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"const": "message"},  # the SSE default when no event name is sent
            "data": {"if": {"const": done}, "else": data},
        },
    }


def event_stream(schema: dict[str, Any], description: str) -> Responses:
    return {200: {"description": description, "content": {"text/event-stream": {"schema": schema}}}}


def install_openapi(app: FastAPI, stream_models: tuple[type[BaseModel], ...]) -> None:
    """FastAPI's OpenAPI document plus the schemas it cannot know of: :class:`ErrorDetail` and
    :class:`OpenAIError` (named by reference above) and the models that only travel inside event
    streams. FastAPI's automatic 422 is dropped on /v1, where validation errors are 400."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            models = (ErrorDetail, OpenAIError, *stream_models)
            _, defs = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                components.setdefault(name, definition)  # a model the routes also use keeps FastAPI's schema
            for path, operations in schema.get("paths", {}).items():
                if path.startswith(OPENAI_PREFIX):
                    for operation in operations.values():
                        operation.get("responses", {}).pop("422", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

