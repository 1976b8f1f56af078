"""FastAPI dependencies: the app's settings and components, built once per app.

``create_app`` stores both on ``app.state``; routes reach them only through
:func:`get_settings` / :func:`get_components`, which tests may replace with
``app.dependency_overrides``. The process-wide defaults are cached so that uvicorn's
factory mode (``create_app()`` with no arguments) builds them exactly once.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from radslag.components import Components
from radslag.settings import Settings


@lru_cache
def default_settings() -> Settings:
    return Settings()


@lru_cache
def default_components() -> Components:
    return Components(default_settings())


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_components(request: Request) -> Components:
    return request.app.state.components


SettingsDep = Annotated[Settings, Depends(get_settings)]
ComponentsDep = Annotated[Components, Depends(get_components)]


def require_admin(request: Request, settings: SettingsDep) -> None:
    """Bearer-token check for the admin endpoints (constant-time comparison)."""
    token = settings.api.admin_token
    if not token:
        raise HTTPException(403, "admin disabled: set RADSLAG_API__ADMIN_TOKEN to enable it")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise HTTPException(
            401,
            "missing bearer token (Authorization: Bearer <admin token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(403, "invalid admin token")
