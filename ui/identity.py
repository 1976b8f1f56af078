"""Who is using the workspace: the official behind a Gradio request (the session cookie /login set)."""

from __future__ import annotations

import gradio as gr

from api.auth import Authenticator, Principal, session_cookie
from radslag.settings import Settings


class Identity:
    """Resolves a request to its signed-in official, with the same keys and user store as the API.

    The /ui middleware already refuses requests without a valid session; this names the user
    (conversations and feedback are theirs) and tells admins apart. Handlers check it on every
    call: a hidden tab is no access control.
    """

    def __init__(self, settings: Settings) -> None:
        self.auth = Authenticator(settings)

    def official(self, request: gr.Request | None) -> Principal | None:
        if request is None:
            return None
        token = session_cookie(request.headers.get("cookie"))
        principal = self.auth.verify(token) if token else None
        return principal if principal is not None and principal.is_official else None

    def user(self, request: gr.Request | None) -> str | None:
        principal = self.official(request)
        return principal.name if principal else None

    def is_admin(self, request: gr.Request | None) -> bool:
        principal = self.official(request)
        return principal is not None and principal.role == "admin"
