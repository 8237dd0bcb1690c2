"""Errors as a visitor reads them: a page in the visitor's language, never the English
developer message the API returns in ``detail``.

Routes raise ``VisitorError`` with a catalogue key; anything else (a framework 404, a
validation error, a rate limit) gets the catalogue's text for its status. Staff pages
(admin, agent) keep the detail: it tells them what to fix. Every exception handler of the
app is here (``register``); the API and health checks get JSON, pages get a page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import EventStoreUnavailable, KBError, QueryError
from web.i18n import message
from web.middleware import add_security_headers
from web.rendering import is_staff_page, render, requested_lang
from web.state import get_state

log = logging.getLogger("kb.web")

TITLES = {
    401: "error.not_allowed",
    403: "error.bad_request",
    404: "error.not_found",
    413: "error.bad_request",
    429: "error.too_many",
    503: "error.unavailable",
}
TEXTS = {
    401: "error.not_allowed_text",
    403: "error.form_expired",
    404: "error.not_found_text",
    413: "error.too_large",
    429: "error.too_many_text",
    500: "error.unexpected_text",
    503: "error.unavailable_text",
}


class VisitorError(HTTPException):
    """An HTTP error whose page text is the catalogue entry ``key`` (with ``params``);
    ``detail`` stays the developer message for JSON clients and logs."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        key: str,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.key = key
        self.params = params


def render_error(
    request: Request,
    status: int,
    detail: str,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> HTMLResponse:
    lang = requested_lang(request)
    title_key = TITLES.get(status, "error.bad_request" if status < 500 else "error.title")
    if key is None and is_staff_page(request):
        text = detail
    else:
        key = key or TEXTS.get(status, "error.bad_request_text")
        if key == "error.too_many_text":
            params.setdefault("seconds", (headers or {}).get("Retry-After", "60"))
        text = message(lang, key, **params)
    page = render(
        request,
        "error.html",
        lang,
        status_code=status,
        status=status,
        heading=message(lang, title_key),
        message=text,
    )
    page.headers.update(headers or {})
    return page


QUERY_ERROR_KEYS = {
    "too_long": "error.query_too_long",
    "empty": "error.query_empty",
    "language": "error.language_unknown",
}


def query_error_key(exc: QueryError) -> str:
    """The catalogue key for one of the library's query errors."""
    return QUERY_ERROR_KEYS.get(exc.kind, "error.bad_request_text")


def register(app: FastAPI) -> None:
    """Every exception handler, most specific first (Starlette picks by the exception's
    class hierarchy, so the order here is for the reader)."""
    app.add_exception_handler(QueryError, query_error)  # type: ignore[arg-type]
    app.add_exception_handler(KBError, kb_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(EventStoreUnavailable, event_store_down)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/readyz")


def query_error(request: Request, exc: QueryError) -> Response:
    # what the request says is wrong (empty, too long, unknown language): 422 on
    # every route (web.validation); 413 is only for a body too large to read
    if wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=422)
    state = get_state(request)
    return render_error(
        request,
        422,
        str(exc),
        query_error_key(exc),
        max=state.settings.max_query_chars,
        available=", ".join(state.index.languages),
    )


def kb_error(request: Request, exc: KBError) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": str(exc)}, status_code=400)
    return render_error(request, 400, str(exc))


def validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'][1:]) or 'request'}: {err['msg']}"
        for err in exc.errors()
    )
    if wants_json(request):
        return JSONResponse({"detail": problems}, status_code=422)
    too_long = any(
        err["type"] == "string_too_long" and err["loc"][-1] == "q" for err in exc.errors()
    )
    if too_long:  # a query past even the route's limit: say so, not pydantic's words
        max_chars = get_state(request).settings.max_query_chars
        return render_error(request, 422, problems, "error.query_too_long", max=max_chars)
    return render_error(request, 422, problems)


def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    location = (getattr(exc, "headers", None) or {}).get("Location")
    if exc.status_code in (302, 303, 307) and location:
        return RedirectResponse(location, status_code=exc.status_code)
    if wants_json(request):
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    # Retry-After, WWW-Authenticate go on the page too
    return render_error(
        request,
        exc.status_code,
        str(exc.detail),
        getattr(exc, "key", None),
        getattr(exc, "headers", None),
        **getattr(exc, "params", {}),
    )


def event_store_down(request: Request, exc: EventStoreUnavailable) -> Response:
    # reports read the event database; searching never waits for it (see kb.insights.events)
    log.error("event database error on %s: %s", request.url.path, exc)
    detail = (
        "the event database is unavailable right now; searching still works and the "
        "reports are back when it is"
    )
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "30"})
    return render_error(request, 503, detail, headers={"Retry-After": "30"})


def unexpected(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        response: Response = JSONResponse({"detail": "internal error"}, status_code=500)
    else:
        try:  # the visitor's language if the templates still render
            response = render_error(request, 500, "internal error")
        except Exception:
            response = HTMLResponse("<h1>Something went wrong</h1>", status_code=500)
    return add_security_headers(response, request.url.path)
