"""The contact page: before offering live chat or e-mail, show the articles that best
match what the visitor typed, and record who went on to a channel anyway (the
dashboard's self-service resolution and contact rate come from these events)."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb.errors import QueryError
from web.errors import VisitorError
from web.i18n import message
from web.pages import known_lang
from web.ratelimit import limiter
from web.rendering import render
from web.results import shown_hits, tracked_hits
from web.security import session_id

router = APIRouter(include_in_schema=False)
MAX_MESSAGE = 2000
Message = Annotated[str, Query(max_length=MAX_MESSAGE)]


def channels(request: Request, lang: str, q: str) -> list[dict[str, str]]:
    """The configured channels, each linked through the contact log."""
    settings = request.app.state.kb.settings
    out = []
    for name, configured in (
        ("chat", settings.contact_chat_url),
        ("email", settings.contact_email),
        ("phone", settings.contact_phone),
    ):
        if configured:
            go = f"/{lang}/contact/go?{urlencode({'channel': name, 'q': q})}"
            out.append({"name": name, "value": configured, "href": go})
    return out


@router.get(
    "/{lang}/contact", response_class=HTMLResponse, dependencies=[Depends(limiter("search"))]
)
def contact(request: Request, lang: str, q: Message = "") -> Response:
    state = request.app.state.kb
    lang = known_lang(request, lang)
    hits: list[dict[str, object]] = []
    if q.strip():
        started = time.perf_counter()
        try:
            result = state.searcher.search(q, lang, limit=3)
        except QueryError:
            result = None  # too long or empty after cleaning: just offer the channels
        if result is not None:
            latency = (time.perf_counter() - started) * 1000
            search_id = state.log_search(session_id(request), result, "contact", latency)
            # only articles with some evidence: a visitor who came to write to us
            # should not wade through a ranked list of everything
            hits = tracked_hits(shown_hits(result, limit=3), search_id)
    return render(
        request,
        "contact.html",
        lang,
        query=q,
        hits=hits,
        channels=channels(request, lang, q),
        alternates={o: f"/{o}/contact" for o in state.index.languages if o != lang},
        switch={
            o: f"/{o}/contact" + (f"?{urlencode({'q': q})}" if q else "")
            for o in state.index.languages
            if o != lang
        },
    )


@router.get("/{lang}/contact/go", dependencies=[Depends(limiter("feedback"))])
def go(
    request: Request,
    lang: str,
    channel: Annotated[str, Query(pattern="^(chat|email|phone)$")],
    q: Message = "",
) -> Response:
    """Record that the visitor went on to a channel, then hand them over to it."""
    state = request.app.state.kb
    lang = known_lang(request, lang)
    target = {c["name"]: c["value"] for c in channels(request, lang, q)}.get(channel)
    if target is None:
        raise VisitorError(404, f"the '{channel}' channel is not offered", "error.not_found_text")
    if state.events is not None:
        state.events.record_contact(
            session_id=session_id(request), lang=lang, channel=channel, query=q or None
        )
    if channel == "email":
        subject = message(lang, "contact.email_subject")
        url = f"mailto:{target}?subject={quote(subject)}&body={quote(q)}"
    elif channel == "phone":
        url = "tel:" + "".join(ch for ch in target if ch.isdigit() or ch == "+")
    else:
        url = target
    return RedirectResponse(url, status_code=303)
