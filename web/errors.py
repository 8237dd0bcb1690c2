"""Errors as a visitor reads them: a page in the visitor's language, never the English
developer message the API returns in ``detail``.

Routes raise ``VisitorError`` with a catalogue key; anything else (a framework 404, a
validation error, a rate limit) gets the catalogue's text for its status. Staff pages
(admin, agent) keep the detail: it tells them what to fix.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from kb.errors import QueryError
from web.i18n import message
from web.rendering import is_staff_page, render, requested_lang

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
