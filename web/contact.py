"""The contact page: before offering live chat or e-mail, show the articles that best
match what the visitor typed, and record who went on to a channel anyway (the
dashboard's self-service resolution and contact rate come from these events)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb.errors import QueryError
from kb.settings import Settings
from kb.text import fit_words
from web.deps import PageLang, Searching, SessionId, State
from web.errors import VisitorError
from web.i18n import message
from web.ratelimit import limiter
from web.rendering import render
from web.results import shown_hits, tracked_hits
from web.urls import contact_go_url, contact_url

router = APIRouter(include_in_schema=False)
MAX_MESSAGE = 2000
# twice the limit: a browser sends each line break of the box as CR LF, so a message
# filled to the box's maxlength arrives longer than it is (see ``one_message``)
Message = Annotated[str, Query(max_length=2 * MAX_MESSAGE)]


def one_message(q: str) -> str:
    """The visitor's message with line breaks as one character, as the box counted them;
    a 422 in the visitor's language if it is still over MAX_MESSAGE."""
    q = q.replace("\r\n", "\n")
    if len(q) > MAX_MESSAGE:
        raise VisitorError(
            422,
            f"the message is too long ({len(q)} characters; at most {MAX_MESSAGE})",
            "error.message_too_long",
            max=MAX_MESSAGE,
        )
    return q


def channels(settings: Settings, lang: str, q: str) -> list[dict[str, str]]:
    """The configured channels, each linked through the contact log."""
    configured = (
        ("chat", settings.contact_chat_url),
        ("email", settings.contact_email),
        ("phone", settings.contact_phone),
    )
    return [
        {"name": name, "value": value, "href": contact_go_url(lang, name, q)}
        for name, value in configured
        if value
    ]


@router.get(
    "/{lang}/contact", response_class=HTMLResponse, dependencies=[Depends(limiter("search"))]
)
def contact(
    request: Request,
    state: State,
    searches: Searching,
    lang: PageLang,
    q: Message = "",
    read: Annotated[str, Query(max_length=200, description="an article that did not help")] = "",
) -> Response:
    """``read`` is the article the visitor came from after answering that it did not
    help: it is not offered again as the answer."""
    q = one_message(q)
    hits: list[dict[str, object]] = []
    if q.strip():
        try:
            # a message longer than a search (KB_MAX_QUERY_CHARS) is searched by its
            # opening, where visitors say what it is about; it found nothing before
            asked = fit_words(q, state.settings.max_query_chars)
            result, search_id = searches.search("contact", asked, lang, limit=4)
        except QueryError:
            pass  # empty after cleaning: just offer the channels
        else:
            # only articles with some evidence: a visitor who came to write to us
            # should not wade through a ranked list of everything
            shown = [h for h in shown_hits(result, limit=4) if h.slug != read]
            hits = tracked_hits(shown[:3], search_id)
    others = [o for o in state.index.languages if o != lang]
    return render(
        request,
        "contact.html",
        lang,
        query=q,
        hits=hits,
        channels=channels(state.settings, lang, q),
        alternates={o: contact_url(o) for o in others},
        switch={o: contact_url(o, q) for o in others},
    )


# counted with searches, not with votes: many customers behind one carrier's address must
# not find the way to support closed because others voted
@router.get("/{lang}/contact/go", dependencies=[Depends(limiter("search"))])
def go(
    state: State,
    session: SessionId,
    lang: PageLang,
    channel: Annotated[str, Query(pattern="^(chat|email|phone)$")],
    q: Message = "",
) -> Response:
    """Record that the visitor went on to a channel, then hand them over to it."""
    q = one_message(q)
    target = {c["name"]: c["value"] for c in channels(state.settings, lang, q)}.get(channel)
    if target is None:
        raise VisitorError(404, f"the '{channel}' channel is not offered", "error.not_found_text")
    state.events.record_contact(session_id=session, lang=lang, channel=channel, query=q or None)
    if channel == "email":
        subject = message(lang, "contact.email_subject")
        url = f"mailto:{target}?subject={quote(subject)}&body={quote(q)}"
    elif channel == "phone":
        url = "tel:" + "".join(ch for ch in target if ch.isdigit() or ch == "+")
    else:
        url = target
    return RedirectResponse(url, status_code=303)
