"""The app factory: API routers, the officials' workspace (/ui) and the citizen widget.

``uvicorn --factory api.app:create_app`` works: with no arguments the settings come from the
environment (``RADSLAG_*``) and the components are built lazily from them.

With ``RADSLAG_REDIS_URL`` set (replicas sharing limits) the factory refuses to build an app
without ``RADSLAG_API__SESSION_SECRET``, so that no uvicorn worker starts with a key of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse

from api.auth import UiAuthMiddleware, require_shared_secret
from api.bodylimit import BodySizeLimitMiddleware
from api.deps import default_components, default_settings
from api.docs import install_docs
from api.errors import install_error_handlers
from api.limiter import WindowLimit, limit_storage
from api.ratelimit import RateLimitMiddleware
from api.responses import install_openapi
from api.routes import admin, ask, auth, documents, feedback, health, openai_compat, overview, search, widget
from radslag.components import Components
from radslag.settings import Settings

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 1 << 20  # questions with history fit easily in 1 MB
# The question budget: what answers questions. /v1/models and the like stay outside it.
RATE_LIMITED = ("/api/ask", "/api/search", "/api/overview", "/v1/chat/completions")
DESCRIPTION = """Questions and answers over Stockholm's committee documents, with numbered citations.

* `/api/ask`, `/api/ask/stream` — answers as JSON or Server-Sent Events;
* `/api/search` — the best-matching passages alone (no answer), with their citation fields;
* `/v1/chat/completions` — the same, for OpenAI-compatible clients (model `radslag`);
* `/api/documents`, `/api/committees` — what is indexed; admin endpoints (uploads, `/api/feedback`) need `Authorization: Bearer <token>`;
* `/ui` — the officials' workspace; `/widget` — the citizen widget (`/widget.js` embeds it);
* `/docs` (Swagger UI) and `/redoc` — this documentation, served without any outside network.
"""


def _warm_up(app: FastAPI, components: Components) -> None:
    """Load the model and build the retrieval index off the request path; /readyz reports it."""
    try:
        vec = components.embedder.embed_query_vector("uppvärmning")
        # One retrieval loads the snapshot and Chroma's vector index, so "ready" means fast.
        components.retriever.retrieve("uppvärmning", vec, 1)
        components.pipeline.warm_up()
        app.state.model_ready = True
        log.info("ready: model loaded, %d chunks indexed", components.store.count())
    except Exception:
        log.exception("warm-up failed; /readyz stays 503")


def _body_limit(settings: Settings):  # type: ignore[no-untyped-def]
    upload_limit = (settings.api.max_upload_mb << 20) + (64 << 10)  # multipart framing

    def limit_for(method: str, path: str) -> int | None:
        if method not in ("POST", "PUT", "PATCH"):
            return None
        if path.startswith("/ui"):
            return None  # Gradio enforces its own limits
        if path == "/api/documents":
            return upload_limit
        return JSON_BODY_LIMIT

    return limit_for


def create_app(settings: Settings | None = None, components: Components | None = None) -> FastAPI:
    if components is None:
        if settings is None:
            settings, components = default_settings(), default_components()
        else:
            components = Components(settings)  # lazy: nothing loads until first use
    elif settings is None:
        settings = components.settings
    require_shared_secret(settings)  # raises SessionSecretMissing in a Redis-shared deployment without a secret

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm_up, args=(app, components), name="radslag-warmup", daemon=True).start()
        yield

    # docs_url/redoc_url None: FastAPI's own pages load their scripts from a CDN; install_docs serves them locally.
    app = FastAPI(title="Rådslag", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.components = components
    app.state.model_ready = False
    # One limit store per app, for the question budget and the failed sign-ins alike.
    app.state.limit_storage = storage = limit_storage(settings)
    per_minute = settings.api.rate_limit_per_minute
    questions = WindowLimit(storage, per_minute, 60, "questions") if per_minute > 0 else None

    routers = (
        health.router, ask.router, search.router, overview.router, openai_compat.router, documents.router, admin.router,
        feedback.router, widget.router, auth.router,
    )
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    install_openapi(app, ask.STREAM_MODELS + openai_compat.STREAM_MODELS)
    install_docs(app)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    app.add_middleware(UiAuthMiddleware, prefix="/ui", login_path="/login")  # the workspace is for officials
    # Added last = outermost: CORS answers preflights before limits count them.
    app.add_middleware(RateLimitMiddleware, limit=questions, prefixes=RATE_LIMITED)
    app.add_middleware(BodySizeLimitMiddleware, limit_for=_body_limit(settings))
    if settings.api.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.allowed_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Retry-After"],
        )

    import gradio as gr

    from ui.workspace import WORKSPACE_CSS, build_workspace

    gr.mount_gradio_app(app, build_workspace(components, settings), path="/ui", css=WORKSPACE_CSS, footer_links=[])
    return app
