"""Anonymous sessions, CSRF tokens and admin authentication.

The session cookie is a random id with no personal data; it only links searches of one
visit so reformulations can be seen (``web.middleware.SessionMiddleware`` sets it). Admin
access is a bearer token or a signed, HttpOnly cookie set by the login form; tokens are
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, TimestampSigner
from starlette.responses import RedirectResponse, Response

from kb.settings import Settings
from web.state import get_state

SESSION_COOKIE = "kb_sid"
ADMIN_COOKIE = "kb_admin"
ADMIN_MAX_AGE = 12 * 3600


def secret_key(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value().encode()
        return hashlib.sha256(b"kb-signing:" + token).digest()
    return secrets.token_bytes(32)


def session_id(request: Request) -> str:
    return str(getattr(request.state, "session_id", "") or "anonymous")


def csrf_token(request: Request) -> str:
    key: bytes = request.app.state.signing_key
    return hmac.new(key, f"csrf:{session_id(request)}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, token: str | None) -> bool:
    """Whether ``token`` is the form token of this request's session. It is not once the
    session cookie has expired (a page left open for half an hour): forms that can show
    themselves again answer that with the form, filled in as it was sent."""
    return bool(token) and hmac.compare_digest(str(token), csrf_token(request))


class FormExpired(HTTPException):
    """403 for a form token that does not match. Its page speaks the catalogue's words
    (``key``, as ``web.errors.VisitorError`` does) on staff pages too, where other errors
    show their English detail: an agent signing out of a page left open got
    "the form expired or did not come from this site" on a Croatian screen."""

    def __init__(self) -> None:
        super().__init__(403, "the form expired or did not come from this site; reload the page")
        self.key = "error.form_expired"
        self.params: dict[str, str] = {}


def check_csrf(request: Request, token: str | None) -> None:
    if not csrf_ok(request, token):
        raise FormExpired()


def _signer(request: Request) -> TimestampSigner:
    return TimestampSigner(request.app.state.signing_key, salt="kb-admin")


def role_cookie(request: Request, role: str) -> str:
    return _signer(request).sign(role.encode()).decode()


def token_role(settings: Settings, candidate: str) -> str | None:
    """'admin' or 'agent' for a matching token (constant-time comparisons), else None."""
    role = None
    for name, secret in (("agent", settings.agent_token), ("admin", settings.admin_token)):
        if secret is not None and hmac.compare_digest(
            candidate.encode(), secret.get_secret_value().encode()
        ):
            role = name
    return role


def request_role(request: Request) -> str | None:
    """Who the request's bearer token or login cookie says is asking, if anyone."""
    settings = get_state(request).settings
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return token_role(settings, header[7:].strip())
    cookie = request.cookies.get(ADMIN_COOKIE)
    if cookie:
        try:
            role = _signer(request).unsign(cookie, max_age=ADMIN_MAX_AGE).decode()
        except BadSignature:
            return None
        return role if role in ("admin", "agent") else None
    return None


def is_admin(request: Request) -> bool:
    return request_role(request) == "admin"


def safe_next(target: str, default: str = "/admin") -> str:
    """Where a login may send the browser: only our own admin and agent pages."""
    ok = target.startswith(("/admin", "/agent")) and "//" not in target and "\\" not in target
    return target if ok and not target.startswith(("/admin/login", "/agent/login")) else default


def login_response(request: Request, role: str, target: str) -> Response:
    """The redirect after a good token, with the signed role cookie: HttpOnly,
    SameSite=Strict, Secure over HTTPS, for both login pages alike."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        ADMIN_COOKIE,
        role_cookie(request, role),
        max_age=ADMIN_MAX_AGE,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


def _deny(request: Request, what: str) -> HTTPException:
    if "text/html" in request.headers.get("accept", ""):
        login = "/agent/login" if what == "agent" else "/admin/login"
        return HTTPException(
            303, "login required", headers={"Location": f"{login}?next={request.url.path}"}
        )
    return HTTPException(401, f"{what} token required", headers={"WWW-Authenticate": "Bearer"})


def require_admin(request: Request) -> str:
    """Dependency for admin routes: 401 for API clients, redirect to login for browsers."""
    if get_state(request).settings.admin_token is None:
        raise HTTPException(404, "admin pages are off: set KB_ADMIN_TOKEN to turn them on")
    if request_role(request) != "admin":
        raise _deny(request, "admin")
    return "admin"


def staff_pages_on(settings: Settings, what: str = "agent") -> None:
    """404 while neither token is set: the staff pages do not exist then."""
    if settings.admin_token is None and settings.agent_token is None:
        raise HTTPException(
            404, f"{what} pages are off: set KB_AGENT_TOKEN or KB_ADMIN_TOKEN to turn them on"
        )


def require_agent(request: Request) -> str:
    """Agents and admins: the agent page and the suggestion API; returns the role."""
    staff_pages_on(get_state(request).settings)
    role = request_role(request)
    if role not in ("admin", "agent"):
        raise _deny(request, "agent")
    return str(role)


class AgentRoute(APIRoute):
    """Checks the agent or admin credentials before FastAPI reads the request body, so a
    request without them gets 401 whatever it sends (never a 422 that describes the body)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            require_agent(request)
            return await inner(request)

        return handler
