"""Anonymous sessions, CSRF tokens and admin authentication.

The session cookie is a random id with no personal data; it only links searches of one
visit so reformulations can be seen. Admin access is a bearer token or a signed,
HttpOnly cookie set by the login form; tokens are compared in constant time.
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
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.settings import Settings

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


class SessionMiddleware:
    """Gives every visitor a random session id cookie (HttpOnly, SameSite=Lax).

    Plain ASGI rather than ``BaseHTTPMiddleware``: it sits on every request, and the
    latter costs a task and a stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sid = HTTPConnection(scope).cookies.get(SESSION_COOKIE, "")
        fresh = not (16 <= len(sid) <= 64 and sid.replace("-", "").replace("_", "").isalnum())
        if fresh:
            sid = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["session_id"] = sid  # what request.state reads
        if not fresh:
            await self.app(scope, receive, send)
            return
        cookie = Response()
        cookie.set_cookie(
            SESSION_COOKIE,
            sid,
            max_age=30 * 60,
            httponly=True,
            samesite="lax",
            secure=scope.get("scheme") == "https",
        )
        set_cookie = cookie.headers["set-cookie"]

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", set_cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def session_id(request: Request) -> str:
    return str(getattr(request.state, "session_id", "") or "anonymous")


def csrf_token(request: Request) -> str:
    key: bytes = request.app.state.signing_key
    return hmac.new(key, f"csrf:{session_id(request)}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, csrf_token(request)):
        raise HTTPException(403, "the form expired or did not come from this site; reload the page")


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
    settings: Settings = request.app.state.kb.settings
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


def require_admin(request: Request) -> None:
    """Dependency for admin routes: 401 for API clients, redirect to login for browsers."""
    settings: Settings = request.app.state.kb.settings
    if settings.admin_token is None:
        raise HTTPException(404, "admin pages are off: set KB_ADMIN_TOKEN to turn them on")
    if request_role(request) != "admin":
        raise _deny(request, "admin")


def require_agent(request: Request) -> None:
    """Agents and admins: the agent page and the suggestion API."""
    settings: Settings = request.app.state.kb.settings
    if settings.admin_token is None and settings.agent_token is None:
        raise HTTPException(
            404, "agent pages are off: set KB_AGENT_TOKEN or KB_ADMIN_TOKEN to turn them on"
        )
    if request_role(request) not in ("admin", "agent"):
        raise _deny(request, "agent")


class AgentRoute(APIRoute):
    """Checks the agent or admin credentials before FastAPI reads the request body, so a
    request without them gets 401 whatever it sends (never a 422 that describes the body)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            require_agent(request)
            return await inner(request)

        return handler


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI starts itself with an inline script; only /docs gets to run one.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def add_security_headers(response: Response, path: str) -> Response:
    """The headers every response carries; responses of their own (an image's stricter
    CSP) keep theirs."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", DOCS_CSP if path == "/docs" else CSP)
    return response


class SecurityHeadersMiddleware:
    """No inline script anywhere but /docs, no framing, no sniffing: on every response.
    (A 500 is sent from outside the middleware stack; its handler adds them itself.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 256 * 1024  # the longest agent message, percent-encoded, fits many times


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 while they are read, so a huge
    upload is never held in memory (a declared Content-Length over the limit is refused
    at the first read)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_big = not declared.isdigit() or int(declared) > self.max_bytes
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if too_big or received > self.max_bytes:
                raise HTTPException(
                    413, f"the request is too large (at most {self.max_bytes // 1024} KB)"
                )
            return message

        await self.app(scope, limited, send)
