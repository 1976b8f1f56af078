"""Browser fixtures: the real app on loopback and a headless Debian Chromium (Playwright sync API)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.app import create_app
from radslag.components import Components
from radslag.settings import Settings
from tests.api.live import ALLOWED_ORIGIN, LiveServer, api_settings

CHROMIUM = "/usr/bin/chromium"


class HostPage:
    """A real loopback web server standing in for a city portal that embeds the widget.

    (A page served by Playwright's route() counts as public to Chromium, whose local-network
    rules then block it from loading the widget script from 127.0.0.1.)
    """

    def __init__(self) -> None:
        self.html = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(owner.html)))
                self.end_headers()
                self.wfile.write(owner.html)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def host_page() -> Iterator[HostPage]:
    host = HostPage()
    yield host
    host.stop()
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def ui_server(settings: Settings, components: Components, host_page: HostPage) -> Iterator[LiveServer]:
    origins = [ALLOWED_ORIGIN, host_page.origin]
    server = LiveServer(create_app(api_settings(settings, allowed_origins=origins), components))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


OFFICIAL = ("ui-official", "ui-official-password-1")


@pytest.fixture(scope="session")
def official(settings: Settings) -> tuple[str, str]:
    """An official's account in the session index's user store (the workspace needs sign-in)."""
    from radslag.users import UserStore, users_path

    UserStore(users_path(settings)).add(*OFFICIAL, role="official", rounds=4, replace=True)
    return OFFICIAL


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="sv-SE")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until no Gradio event is running. While one runs, Gradio dims its output components
    (class ``pending``, opacity 0.2) until the event's completion message arrives, which can be
    after the new text is already shown; an accessibility check then measures the dimmed text."""
    page.wait_for_function("!document.querySelector('.pending')")


def sign_in(page, url: str, user: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real /login form, as an official would."""
    page.goto(f"{url}/ui/")
    page.wait_for_url("**/login**")
    page.locator("#username").fill(user[0])
    page.locator("#password").fill(user[1])
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/ui/**")


@pytest.fixture
def signed_in_page(page, ui_server: LiveServer, official: tuple[str, str]):  # type: ignore[no-untyped-def]
    """A page signed in through the real /login form, as an official would."""
    sign_in(page, ui_server.url, official)
    return page
