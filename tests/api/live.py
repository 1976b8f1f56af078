"""A real uvicorn server on a free loopback port, in a background thread."""

from __future__ import annotations

import threading

import uvicorn
from fastapi import FastAPI

from eval.servers import free_port, wait_ready
from radslag.settings import ApiSettings, Settings

__all__ = ["ADMIN_TOKEN", "ALLOWED_ORIGIN", "LiveServer", "api_settings", "free_port"]

ADMIN_TOKEN = "test-admin-token-7f3a"
ALLOWED_ORIGIN = "http://portal.example.test"


def api_settings(base: Settings, **api: object) -> Settings:
    """``base`` with test API settings (admin token, a 1 MB upload limit, one allowed origin)."""
    values = {
        "admin_token": ADMIN_TOKEN,
        "rate_limit_per_minute": 10_000,
        "allowed_origins": [ALLOWED_ORIGIN],
        "max_upload_mb": 1,
        **api,
    }
    return base.model_copy(update={"api": ApiSettings(**values)})


class LiveServer:
    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn-{self.port}", daemon=True)

    def start(self, ready_timeout: float = 120.0, path: str = "/readyz") -> LiveServer:
        self._thread.start()
        try:
            wait_ready(self.url, ready_timeout, alive=self._thread.is_alive, path=path)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
