"""What the OpenAPI document says about responses that are not a route's normal JSON body.

The routes declare every status the app can answer with — including the ones produced outside
the route by middleware (413 body limit, 429 rate limit), the error handlers (503 store
unavailable) or Starlette (400 unreadable body) — and the exact shape of the Server-Sent
Events they stream. ``tests/reliability/test_schemathesis.py`` holds the live app to it.

Event-stream schemas follow OpenAPI 3.1 practice: the ``text/event-stream`` schema describes
one event (``event``, ``data``), and ``data`` is JSON given by ``contentSchema``. The models
named there exist only inside streams, so :func:`install_openapi` adds them to the components
(with :class:`ErrorDetail`, which the error responses name by reference).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

Responses = dict[int | str, dict[str, Any]]
REF = "#/components/schemas/{model}"


class ErrorDetail(BaseModel):
    """Every error except validation errors (422): one human-readable message."""

    detail: str


RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "string", "pattern": r"^\d+$"}}
}


def error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A documented error with an :class:`ErrorDetail` JSON body.

    Spelled out rather than ``{"model": ErrorDetail}``: FastAPI files a ``model`` under the
    route's own media type, which would document an HTML page's 404/503 as ``text/html``.
    """
    doc: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorDetail")}}},
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


def json_messages(model: str, done: str) -> dict[str, Any]:
    """One event of an OpenAI-style stream: unnamed events whose data is ``model`` JSON, then ``done``."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"const": "message"},  # the SSE default when no event name is sent
            "data": {"if": {"const": done}, "else": _json_data(model)},
        },
    }


def event_stream(schema: dict[str, Any], description: str) -> Responses:
    return {200: {"description": description, "content": {"text/event-stream": {"schema": schema}}}}


def install_openapi(app: FastAPI, stream_models: tuple[type[BaseModel], ...]) -> None:
    """FastAPI's OpenAPI document plus the schemas it cannot know of: :class:`ErrorDetail` (named
    by reference above) and the models that only travel inside event streams."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, defs = models_json_schema([(m, "serialization") for m in (ErrorDetail, *stream_models)], ref_template=REF)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                components.setdefault(name, definition)  # a model the routes also use keeps FastAPI's schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

