"""FastAPI dependencies: the app's settings and components, built once per app.

``create_app`` stores both on ``app.state``; routes reach them only through
:func:`get_settings` / :func:`get_components`, which tests may replace with
``app.dependency_overrides``. The process-wide defaults are cached so that uvicorn's
factory mode (``create_app()`` with no arguments) builds them exactly once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from api.auth import require_admin
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

__all__ = ["ComponentsDep", "SettingsDep", "get_components", "get_settings", "require_admin"]
