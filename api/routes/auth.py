"""Officials' sign-in: POST /api/auth/login → a signed session token (JSON + HttpOnly cookie)."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import COOKIE, AuthDep, PrincipalDep
from api.errors import RETRY_AFTER_S
from api.limiter import STORE_UNAVAILABLE, LimitStoreUnavailable
from api.responses import JSON_BODY, RETRY_AFTER, error

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Session(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>` (the cookie is set as well).")
    token_type: str = "bearer"
    username: str
    role: str
    expires_at: int = Field(description="Unix seconds.")


class Me(BaseModel):
    username: str
    role: str = Field(description="public | official | admin")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/api/auth/login",
    response_model=Session,
    summary="Sign in as an official (token in the JSON and as an HttpOnly cookie)",
    responses={
        401: error("Wrong user name or password."),
        429: error("Too many failed sign-ins.", RETRY_AFTER),
        503: error("The store of failed sign-ins (Redis) is unreachable; try again.", RETRY_AFTER),
    }
    | JSON_BODY,
)
def login(body: LoginRequest, request: Request, response: Response, auth: AuthDep) -> Session:
    client = _client(request)
    # Fails closed like the rate limit: without the shared counters a password could be
    # guessed at full speed for as long as Redis is down.
    try:
        wait = auth.failures.blocked_for(client)
        if wait:
            retry = str(math.ceil(wait))
            raise HTTPException(429, f"Too many failed sign-ins: try again in {retry} s.", headers={"Retry-After": retry})
        user = auth.users.verify(body.username, body.password)
        if user is None:
            auth.failures.hit(client)
            raise HTTPException(401, "wrong user name or password")
    except LimitStoreUnavailable as exc:
        raise HTTPException(503, STORE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)}) from exc
    token, exp = auth.issue(user.name, user.role)
    response.set_cookie(
        COOKIE, token, max_age=auth.ttl_s, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return Session(token=token, username=user.name, role=user.role, expires_at=exp)


@router.post("/api/auth/logout", status_code=204, summary="Sign out (clears the session cookie)")
def logout(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    response.status_code = 204
    return response


@router.get("/api/auth/me", response_model=Me, summary="Who the server thinks is asking")
def me(principal: PrincipalDep) -> Me:
    return Me(username=principal.name, role=principal.role)


LOGIN_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Logga in – Rådslag</title><link rel="stylesheet" href="/widget/widget.css"></head>
<body><main class="widget">
<h1>Logga in på Rådslag</h1>
<p>Arbetsytan är för stadens tjänstepersoner. Invånare kan ställa frågor i <a href="/widget">frågewidgeten</a>.</p>
<form id="login" method="post" action="/api/auth/login" novalidate>
<p><label for="username">Användarnamn</label>
<input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Lösenord</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p id="status" role="alert" aria-live="assertive"></p>
<p><button type="submit">Logga in</button></p>
</form></main>
<script src="/login.js"></script></body></html>
"""

LOGIN_JS = """(() => {
  const form = document.getElementById("login");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "Loggar in …";
    const body = JSON.stringify({username: form.username.value, password: form.password.value});
    try {
      const r = await fetch("/api/auth/login", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body});
      if (r.ok) { window.location.assign("/ui/"); return; }
      status.textContent = r.status === 429 ? "För många misslyckade försök. Vänta en minut och försök igen."
        : r.status === 401 ? "Fel användarnamn eller lösenord." : "Inloggningen misslyckades (" + r.status + ").";
    } catch (e) {
      status.textContent = "Servern svarar inte. Försök igen.";
    }
    form.password.focus();
  });
})();
"""

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page() -> HTMLResponse:
    return HTMLResponse(LOGIN_PAGE, headers=PAGE_HEADERS)


@router.get("/login.js", include_in_schema=False)
def login_js() -> Response:
    return Response(LOGIN_JS, media_type="text/javascript; charset=utf-8", headers=PAGE_HEADERS)
