"""Every middleware, outermost first as a request meets them (``register``).

Plain ASGI rather than ``BaseHTTPMiddleware``: they sit on every request, and the latter
costs a task and a stream per request (docs/performance.md). In order:

- ``CloseWhenDraining``: from SIGTERM on, ``Connection: close`` (see ``web.draining``);
- ``MetricsMiddleware``: request latency per route template (``web.metrics``);
- CORS for the search API, when ``KB_CORS_ORIGINS`` lists origins (the widget);
- ``ReadinessGate``: 503 with Retry-After until an index is loaded;
- ``SecurityHeadersMiddleware``: the CSP and friends on every response;
- ``SessionMiddleware``: the anonymous session cookie;
- ``BodyLimitMiddleware``: innermost, so its 413 reaches the error pages.
"""

from __future__ import annotations

import secrets
import time

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.settings import Settings
from web.draining import DRAINING
from web.metrics import Metrics
from web.security import SESSION_COOKIE
from web.state import not_ready_reason, serving_state


def register(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """Add the middlewares; the last added is the outermost."""
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SessionMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ReadinessGate)
    if settings.cors_origin_list:  # the widget and other pages may call the search API
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET"],
            allow_headers=[],
            max_age=3600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(CloseWhenDraining)


class CloseWhenDraining:
    """Adds ``Connection: close`` to responses that start once the worker is stopping
    (why: ``web.draining``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and DRAINING.is_set():
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"
                ]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


class MetricsMiddleware:
    """Times every request under its route template (``/{lang}/articles/{slug}``), so
    the label set stays small whatever the URLs."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(
                _route(scope), scope.get("method", ""), f"{status // 100}xx"
            ).observe(time.perf_counter() - started)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    path = str(scope.get("path", ""))
    if path.startswith("/static/"):
        return "/static"
    return "unmatched"


class ReadinessGate:
    """Until an index is loaded, answer 503 with Retry-After instead of failing: the
    health, readiness and metrics endpoints (and static files) still answer."""

    OPEN = ("/healthz", "/readyz", "/metrics", "/static/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.OPEN):
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        if serving_state(app_state) is not None:
            await self.app(scope, receive, send)
            return
        reason = not_ready_reason(app_state)
        response = JSONResponse(
            {"detail": f"the help center is not ready yet: {reason}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
        await response(scope, receive, send)


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


class SessionMiddleware:
    """Gives every visitor a random session id cookie (HttpOnly, SameSite=Lax): a random id
    with no personal data, linking the searches of one visit (``web.security``)."""

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
