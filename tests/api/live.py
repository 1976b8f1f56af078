"""A real uvicorn server on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI

from radslag.settings import ApiSettings, Settings

ADMIN_TOKEN = "test-admin-token-7f3a"
ALLOWED_ORIGIN = "http://portal.example.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    def start(self, ready_timeout: float = 120.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server on {self.url} did not become ready in {ready_timeout} s")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
