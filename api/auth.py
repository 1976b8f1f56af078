"""Who is asking: the public, a signed-in official, or an admin.

* Session tokens: ``base64url(payload).base64url(HMAC-SHA256(secret, payload))`` with the
  payload ``{"u": name, "r": role, "exp": unix seconds}``. The key is ``api.session_secret``
  or, when unset, a random key per process (sessions then end on restart and do not carry
  across replicas: a replicated deployment refuses to start without the secret, see
  :func:`require_shared_secret`).
* Officials send the token as ``Authorization: Bearer <token>`` or the ``radslag_session``
  cookie (HttpOnly, SameSite=Strict). The user must still exist in ``users.json``; the role is
  read from there, so removing or demoting a user takes effect at once.
* The static ``api.admin_token`` stays an admin service credential.
* Failed sign-ins: at most 5 per client in a moving minute, then 429 — counted by
  :mod:`api.limiter`, so shared by every replica when ``RADSLAG_REDIS_URL`` is set.
* Anyone else is the public: retrieval and the document views are limited to ``public``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request
from limits.storage import Storage
from starlette.types import ASGIApp, Receive, Scope, Send

from api.limiter import WindowLimit, limit_storage
from radslag.settings import Settings
from radslag.users import UserStore, users_path

COOKIE = "radslag_session"
PUBLIC_VISIBILITY = ["public"]
_PROCESS_SECRET = secrets.token_bytes(32)
LOGIN_FAILURES_PER_MINUTE = 5

Role = Literal["public", "official", "admin"]


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    via: str  # "anonymous" | "session" | "admin_token"

    @property
    def is_official(self) -> bool:
        return self.role in ("official", "admin")

    @property
    def visibility(self) -> list[str] | None:
        """Filters.visibility for this caller: None (everything) for officials, else public only."""
        return None if self.is_official else list(PUBLIC_VISIBILITY)


ANONYMOUS = Principal("", "public", "anonymous")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """Signs and checks session tokens; resolves a request's credentials to a :class:`Principal`."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        """``storage``: the app's limit store (shared with the rate limit); default: a new one from ``settings``."""
        api = settings.api
        self.secret = api.session_secret.encode() if api.session_secret else _PROCESS_SECRET
        self.ttl_s = max(1, api.session_ttl_minutes) * 60
        self.admin_token = api.admin_token
        self.users = UserStore(users_path(settings))
        self.failures = WindowLimit(
            storage if storage is not None else limit_storage(settings), LOGIN_FAILURES_PER_MINUTE, 60, "login-failures"
        )

    # -- tokens ------------------------------------------------------------------------
    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self.secret, payload, hashlib.sha256).digest())

    def issue(self, name: str, role: str, now: float | None = None) -> tuple[str, int]:
        exp = int((now or time.time()) + self.ttl_s)
        payload = json.dumps({"u": name, "r": role, "exp": exp}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{self._sign(payload)}", exp

    def verify(self, token: str) -> Principal | None:
        """The signed-in user of a valid, unexpired token whose user still exists; else None."""
        body, _, sig = token.strip().partition(".")
        if not body or not sig:
            return None
        try:
            payload = _unb64(body)
            if not hmac.compare_digest(sig, self._sign(payload)):
                return None
            claims: dict[str, Any] = json.loads(payload)
        except (ValueError, TypeError):
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return None
        user = self.users.get(str(claims.get("u", "")))
        if user is None:
            return None
        return Principal(user.name, user.role, "session")

    # -- requests ----------------------------------------------------------------------
    def from_headers(self, authorization: str | None, cookie: str | None) -> tuple[Principal, bool]:
        """(principal, presented): ``presented`` is True when some credential was sent."""
        scheme, _, given = (authorization or "").partition(" ")
        given = given.strip()
        if scheme.lower() == "bearer" and given:
            if self.admin_token and hmac.compare_digest(given.encode(), self.admin_token.encode()):
                return Principal("admin-token", "admin", "admin_token"), True
            return self.verify(given) or ANONYMOUS, True
        token = session_cookie(cookie)
        if token:
            return self.verify(token) or ANONYMOUS, True
        return ANONYMOUS, False


def session_cookie(header: str | None) -> str | None:
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001 - a malformed cookie header is no credential
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


class SessionSecretMissing(RuntimeError):
    """A replicated deployment without ``RADSLAG_API__SESSION_SECRET``."""


SECRET_MISSING = (
    "RADSLAG_API__SESSION_SECRET is not set: {why}. Every replica would sign sessions with its own "
    "random key, so a session from one would fail on the next. Set one long random secret for all of them, "
    "e.g. RADSLAG_API__SESSION_SECRET=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
)


def require_shared_secret(settings: Settings, workers: int = 1) -> None:
    """Raise :class:`SessionSecretMissing` when several processes (``workers`` > 1, or a
    Redis-shared deployment) would each draw their own random session key."""
    if settings.api.session_secret:
        return
    if workers > 1:
        raise SessionSecretMissing(SECRET_MISSING.format(why=f"{workers} workers share the sessions"))
    if settings.redis_url:
        raise SessionSecretMissing(SECRET_MISSING.format(why="RADSLAG_REDIS_URL is set (a replicated deployment)"))


def authenticator_for(app: Any) -> Authenticator:
    """The app's authenticator, built on first use from ``app.state.settings``."""
    auth = getattr(app.state, "authenticator", None)
    if auth is None:
        auth = app.state.authenticator = Authenticator(app.state.settings, getattr(app.state, "limit_storage", None))
    return auth


def get_authenticator(request: Request) -> Authenticator:
    return authenticator_for(request.app)


AuthDep = Annotated[Authenticator, Depends(get_authenticator)]


def get_principal(request: Request, auth: AuthDep) -> Principal:
    """Never fails: missing or invalid credentials make the caller the public."""
    return auth.from_headers(request.headers.get("authorization"), request.headers.get("cookie"))[0]


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def caller_visibility(principal: PrincipalDep) -> list[str] | None:
    return principal.visibility


VisibilityDep = Annotated[list[str] | None, Depends(caller_visibility)]


def require_admin(request: Request, auth: AuthDep) -> Principal:
    """Admin endpoints: the admin token or an admin's session. 401 without credentials, 403 otherwise."""
    principal, presented = auth.from_headers(request.headers.get("authorization"), request.headers.get("cookie"))
    if principal.role == "admin":
        return principal
    if not presented:
        raise HTTPException(
            401,
            "missing credentials (Authorization: Bearer <admin token or session token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if principal.role == "official":
        raise HTTPException(403, "admins only")
    if not auth.admin_token and not any(u.role == "admin" for u in auth.users.list()):
        raise HTTPException(403, "admin disabled: set RADSLAG_API__ADMIN_TOKEN or add an admin (radslag users add)")
    raise HTTPException(403, "invalid admin token")


class UiAuthMiddleware:
    """Paths under ``prefix`` (the Gradio workspace) need an official's session: else 303 to /login."""

    def __init__(self, app: ASGIApp, prefix: str = "/ui", login_path: str = "/login") -> None:
        self.app, self.prefix, self.login_path = app, prefix, login_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = session_cookie(headers.get("cookie"))
        principal = authenticator_for(scope["app"]).verify(token) if token else None
        if principal is not None and principal.is_official:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", self.login_path.encode()), (b"content-length", b"0"), (b"cache-control", b"no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b""})
