"""One validation for every route: the same fault gets the same status and the same words.

Customers' scripts call /api/search and agents' tools /api/suggest; a query that is too
long or a language the help center does not have must not be 413 on one and 422 on the
other, accepted and echoed on a third. The rule (README, "Limits and status codes"):
422 for what the request says (empty, too long, unknown language, out of range), 413 only
for a body too large to read (web.security.BodyLimitMiddleware), 401/403 for credentials
and forms, 429 for rate limits.
"""

from __future__ import annotations

from fastapi import Request

from kb.errors import empty_query, too_long, unknown_language

MAX_MESSAGE = 10_000  # a pasted customer e-mail (agent page and /api/suggest)
MAX_LANG = 8


def check_lang(request: Request, lang: str | None) -> str | None:
    """``lang`` if the help center has articles in it; None when not given; else 422."""
    if lang is None or not lang.strip():
        return None
    code = lang.strip().lower()
    available = tuple(request.app.state.kb.index.languages)
    if code not in available:
        raise unknown_language(code, available)
    return code


def check_message(message: str) -> str:
    """A pasted message: not empty, at most MAX_MESSAGE characters."""
    if not message.strip():
        raise empty_query("message", "paste the customer's message")
    if len(message) > MAX_MESSAGE:
        raise too_long(len(message), MAX_MESSAGE, "message")
    return message
