"""Support agents: their own login, then paste a customer's message and get ready-to-paste
answers, per question and as one reply ready to send. Pages in the agent's language
(``hl``: hr or en, else the browser's)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from kb.assist.replies import Draft
from kb.assist.suggest import Suggestion, SuggestResult
from kb.errors import QueryError
from web.deps import AgentRole, Searching, SessionId, State
from web.i18n import agent_strings
from web.rendering import page_lang, render
from web.security import (
    ADMIN_COOKIE,
    AgentRoute,
    check_csrf,
    csrf_ok,
    csrf_token,
    login_response,
    require_agent,
    safe_next,
    staff_pages_on,
    token_role,
)
from web.state import AppState
from web.urls import agent_login_url, agent_url
from web.validation import MAX_LANG, MAX_MESSAGE, check_lang, check_message
from web.validation import search_id as valid_search_id

router = APIRouter(route_class=AgentRoute)  # credentials checked before the body is read
login_router = APIRouter(include_in_schema=False)
SECTION_KEY = re.compile(r"^[a-z]{2,3}/[a-z0-9][a-z0-9-]{0,199}#[A-Za-z0-9_-]{0,200}$")
MAX_DRAFT_SECTIONS = 10
UiLang = Annotated[str | None, Query(max_length=MAX_LANG)]


class SuggestRequest(BaseModel):
    message: str = Field(
        ...,
        min_length=1,
        max_length=MAX_MESSAGE,
        description="The customer's message, pasted as is (at most 10,000 characters).",
    )
    lang: str | None = Field(
        None,
        max_length=MAX_LANG,
        description="Reply language (422 with the list if the help center has no articles "
        "in it); detected from the message if unset.",
    )


class SuggestResponse(BaseModel):
    lang: str | None
    cleaned: str
    questions: list[str]
    units: list[dict[str, Any]]
    note: str | None
    suggestions: list[Suggestion]
    draft: Draft | None
    message_id: str | None


def _ui(request: Request, hl: str | None) -> str:
    return page_lang(request, hl)


def _run(request: Request, searches: Searching, message: str, lang: str | None) -> SuggestResult:
    check_message(message)
    reply_lang = check_lang(searches.state, lang)
    # links in the replies go to the public URL, else to the base this request came to
    base = searches.state.settings.public_url or str(request.base_url)
    return searches.suggest(message, reply_lang, base)


@router.post(
    "/api/suggest",
    response_model=SuggestResponse,
    tags=["agents"],
    dependencies=[Depends(require_agent)],
)
def api_suggest(request: Request, searches: Searching, body: SuggestRequest) -> dict[str, Any]:
    """Best 3-5 sections answering a customer's message, each with a ready-to-paste reply
    (plain text and Markdown) ending with the link to the section, and one combined draft
    reply. Needs the agent or admin token as a bearer token."""
    return _run(request, searches, body.message, body.lang).to_dict()


def _page(
    request: Request, state: AppState, role: str, ui: str, status_code: int = 200, **context: Any
) -> Response:
    others = [code for code in state.index.languages if code != ui]
    return render(
        request,
        "agent.html",
        ui,
        status_code=status_code,
        a=agent_strings(ui),
        csrf=csrf_token(request),
        is_admin=role == "admin",
        ui_links={code: agent_url(code) for code in others},
        **context,
    )


@router.get(
    "/agent",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def agent_form(request: Request, state: State, role: AgentRole, hl: UiLang = None) -> Response:
    ui = _ui(request, hl)
    return _page(request, state, role, ui, message="", result=None, lang_choice="")


@router.post(
    "/agent",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def agent_suggest(
    request: Request,
    role: AgentRole,
    searches: Searching,
    # twice the limit: browsers send each line break as CR LF, so a box filled to its
    # maxlength arrives longer than it is; the limit is checked once they are one
    message: Annotated[str, Form(max_length=2 * MAX_MESSAGE)],
    csrf: Annotated[str, Form(max_length=128)],
    lang: Annotated[str, Form(max_length=MAX_LANG)] = "",
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    state = searches.state
    ui = _ui(request, hl or None)
    message = message.replace("\r\n", "\n")
    refused = _form_error(request, state, agent_strings(ui), csrf, message, lang)
    if refused:
        error, status = refused
        return _page(
            request,
            state,
            role,
            ui,
            status,
            message=message,
            result=None,
            lang_choice=lang,
            error=error,
        )
    result = _run(request, searches, message, lang or None)
    rows = [{"s": s, "html": Markup(s.html)} for s in result.suggestions]  # rendered by kb
    return _page(
        request, state, role, ui, message=message, result=result, rows=rows, lang_choice=lang
    )


def _form_error(
    request: Request, state: AppState, a: dict[str, str], csrf: str, message: str, lang: str
) -> tuple[str, int] | None:
    """Why the agent page cannot search this paste, in the agent's words, and the status;
    the page then shows it above the message, which stays in its box."""
    if not csrf_ok(request, csrf):  # the page outlived its session: keep what was pasted
        return a["expired"], 403
    if not message.strip():
        return a["empty"], 422
    if len(message) > MAX_MESSAGE:
        return a["too_long"].format(n=len(message), max=MAX_MESSAGE), 422
    try:
        check_lang(state, lang)
    except QueryError:
        return a["unknown_lang"].format(available=", ".join(state.index.languages)), 422
    return None


@router.post("/agent/copy", include_in_schema=False, dependencies=[Depends(require_agent)])
def agent_copy(
    request: Request,
    state: State,
    session: SessionId,
    csrf: Annotated[str, Form(max_length=128)],
    lang: Annotated[str, Form(max_length=MAX_LANG)] = "",
    slug: Annotated[str, Form(max_length=200)] = "",
    section_id: Annotated[str, Form(max_length=200)] = "",
    search_id: Annotated[str, Form(max_length=64)] = "",
    format: Annotated[str, Form(pattern="^(text|markdown|draft)$")] = "text",
    sections: Annotated[list[str] | None, Form(max_length=MAX_DRAFT_SECTIONS)] = None,
) -> Response:
    """Logs that an agent reused a section, or a combined draft with the sections it used,
    as one copy (sent by copy.js, or the no-JS form button, which copies nothing: without
    JavaScript the agent selects the text in its box)."""
    check_csrf(request, csrf)
    used = [s for s in sections or [] if s]
    if any(not SECTION_KEY.match(s) or len(s) > 420 for s in used):
        raise HTTPException(422, "sections: each is lang/slug#section")
    if format == "draft" and used:
        lang, rest = used[0].split("/", 1)
        slug, _, section_id = rest.partition("#")
    if not slug or not lang:
        raise HTTPException(422, "slug and lang, or the draft's sections, are required")
    state.events.record_copy(
        session_id=session,
        lang=lang,
        slug=slug,
        section_id=section_id or None,
        search_id=valid_search_id(search_id),
        fmt=format,
        sections=used if format == "draft" else (),
    )
    # 204 for copy.js and for the no-JS button alike: a browser that gets 204 for a form
    # stays on the page, so the agent keeps the replies (a redirect to /agent emptied it)
    return Response(status_code=204)


# -- the agents' own login --------------------------------------------------------------
def _login_page(
    request: Request,
    state: AppState,
    ui: str,
    next_url: str,
    status_code: int = 200,
    error: str = "",
) -> Response:
    staff_pages_on(state.settings)
    others = [code for code in state.index.languages if code != ui]
    return render(
        request,
        "agent_login.html",
        ui,
        status_code=status_code,
        a=agent_strings(ui),
        next=safe_next(next_url, "/agent"),
        csrf=csrf_token(request),
        error=error,
        ui_links={code: agent_login_url(code, next_url) for code in others},
    )


@login_router.get("/agent/login", response_class=HTMLResponse)
def agent_login_form(
    request: Request,
    state: State,
    next: Annotated[str, Query(max_length=200)] = "/agent",
    hl: UiLang = None,
) -> Response:
    return _login_page(request, state, _ui(request, hl), safe_next(next, "/agent"))


@login_router.post("/agent/login")
def agent_login(
    request: Request,
    state: State,
    token: Annotated[str, Form(max_length=512)],
    csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=200)] = "/agent",
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    """The agent token, or the admin token (an admin can do what an agent does)."""
    ui = _ui(request, hl or None)
    if not csrf_ok(request, csrf):  # the form outlived its session cookie: ask again
        return _login_page(request, state, ui, next, 403, agent_strings(ui)["login_expired"])
    role = token_role(state.settings, token)
    if role is None:
        return _login_page(request, state, ui, next, 401, agent_strings(ui)["login_wrong"])
    target = safe_next(next, "/agent")
    if role == "agent" and not target.startswith("/agent"):
        target = "/agent"
    if target == "/agent" and hl:
        target = agent_url(ui)
    return login_response(request, role, target)


@login_router.post("/agent/logout")
def agent_logout(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)],
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    check_csrf(request, csrf)
    ui = _ui(request, hl or None)
    response = RedirectResponse(agent_login_url(ui), status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response
