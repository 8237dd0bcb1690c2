"""Support agents: their own login, then paste a customer's message and get ready-to-paste
answers, per question and as one reply ready to send. Pages in the agent's language
(``hl``: hr or en, else the browser's)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from kb.assist.replies import Draft
from kb.assist.suggest import Suggestion, SuggestResult, suggest
from kb.errors import QueryError
from web.i18n import agent_strings
from web.rendering import page_lang, render
from web.security import (
    ADMIN_COOKIE,
    AgentRoute,
    check_csrf,
    csrf_token,
    login_response,
    request_role,
    require_agent,
    safe_next,
    token_role,
)
from web.security import session_id as session_of
from web.validation import MAX_LANG, MAX_MESSAGE, check_lang, check_message

router = APIRouter(route_class=AgentRoute)  # credentials checked before the body is read
login_router = APIRouter(include_in_schema=False)
SEARCH_ID = re.compile(r"^[0-9a-f]{32}$")  # ids the search log handed out; anything else: none
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


def _run(request: Request, message: str, lang: str | None) -> SuggestResult:
    state = request.app.state.kb
    check_message(message)
    reply_lang = check_lang(request, lang)
    base = state.settings.public_url or str(request.base_url)
    started = time.perf_counter()
    result = suggest(
        state.searcher,
        message,
        reply_lang,
        base_url=base,
        order_pattern=state.settings.order_number_pattern,
    )
    latency = (time.perf_counter() - started) * 1000
    state.log_agent_message(session_of(request), result, latency)
    return result


@router.post(
    "/api/suggest",
    response_model=SuggestResponse,
    tags=["agents"],
    dependencies=[Depends(require_agent)],
)
def api_suggest(request: Request, body: SuggestRequest) -> dict[str, Any]:
    """Best 3-5 sections answering a customer's message, each with a ready-to-paste reply
    (plain text and Markdown) ending with the link to the section, and one combined draft
    reply. Needs the agent or admin token as a bearer token."""
    return _run(request, body.message, body.lang).to_dict()


def _page(request: Request, ui: str, status_code: int = 200, **context: Any) -> Response:
    role = request_role(request)
    others = [code for code in request.app.state.kb.index.languages if code != ui]
    return render(
        request,
        "agent.html",
        ui,
        status_code=status_code,
        a=agent_strings(ui),
        csrf=csrf_token(request),
        is_admin=role == "admin",
        ui_links={code: f"/agent?hl={code}" for code in others},
        **context,
    )


@router.get(
    "/agent",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require_agent)],
)
def agent_form(request: Request, hl: UiLang = None) -> Response:
    return _page(request, _ui(request, hl), message="", result=None, lang_choice="")


@router.post(
    "/agent",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require_agent)],
)
def agent_suggest(
    request: Request,
    message: Annotated[str, Form(max_length=MAX_MESSAGE)],
    csrf: Annotated[str, Form(max_length=128)],
    lang: Annotated[str, Form(max_length=MAX_LANG)] = "",
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    check_csrf(request, csrf)
    ui = _ui(request, hl or None)
    a = agent_strings(ui)
    error = None
    if not message.strip():
        error = a["empty"]
    else:
        try:
            check_lang(request, lang)
        except QueryError:
            languages = ", ".join(request.app.state.kb.index.languages)
            error = a["unknown_lang"].format(available=languages)
    if error:
        return _page(request, ui, 422, message=message, result=None, lang_choice=lang, error=error)
    result = _run(request, message, lang or None)
    rows = [{"s": s, "html": Markup(s.html)} for s in result.suggestions]  # rendered by kb
    return _page(request, ui, message=message, result=result, rows=rows, lang_choice=lang)


@router.post("/agent/copy", include_in_schema=False, dependencies=[Depends(require_agent)])
def agent_copy(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)],
    lang: Annotated[str, Form(max_length=MAX_LANG)] = "",
    slug: Annotated[str, Form(max_length=200)] = "",
    section_id: Annotated[str, Form(max_length=200)] = "",
    search_id: Annotated[str, Form(max_length=64)] = "",
    format: Annotated[str, Form(pattern="^(text|markdown|draft)$")] = "text",
    sections: Annotated[list[str] | None, Form(max_length=MAX_DRAFT_SECTIONS)] = None,
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    """Logs that an agent reused a section, or a combined draft with the sections it used,
    as one copy (sent by copy.js, or the no-JS form button)."""
    check_csrf(request, csrf)
    used = [s for s in sections or [] if s]
    if any(not SECTION_KEY.match(s) or len(s) > 420 for s in used):
        raise HTTPException(422, "sections: each is lang/slug#section")
    if format == "draft" and used:
        lang, rest = used[0].split("/", 1)
        slug, _, section_id = rest.partition("#")
    if not slug or not lang:
        raise HTTPException(422, "slug and lang, or the draft's sections, are required")
    events = request.app.state.kb.events
    if events is not None:
        events.record_copy(
            session_id=session_of(request),
            lang=lang,
            slug=slug,
            section_id=section_id or None,
            search_id=search_id if SEARCH_ID.match(search_id) else None,
            fmt=format,
            sections=used if format == "draft" else (),
        )
    if request.headers.get("x-requested-with") == "fetch":
        return Response(status_code=204)
    back = f"/agent?hl={hl}" if hl in request.app.state.kb.index.languages else "/agent"
    return RedirectResponse(back, status_code=303)


# -- the agents' own login --------------------------------------------------------------
def _login_page(
    request: Request, ui: str, next_url: str, status_code: int = 200, error: str = ""
) -> Response:
    settings = request.app.state.kb.settings
    if settings.admin_token is None and settings.agent_token is None:
        raise HTTPException(
            404, "agent pages are off: set KB_AGENT_TOKEN or KB_ADMIN_TOKEN to turn them on"
        )
    others = [code for code in request.app.state.kb.index.languages if code != ui]
    return render(
        request,
        "agent_login.html",
        ui,
        status_code=status_code,
        a=agent_strings(ui),
        next=safe_next(next_url, "/agent"),
        csrf=csrf_token(request),
        error=error,
        ui_links={code: f"/agent/login?hl={code}&next={next_url}" for code in others},
    )


@login_router.get("/agent/login", response_class=HTMLResponse)
def agent_login_form(
    request: Request,
    next: Annotated[str, Query(max_length=200)] = "/agent",
    hl: UiLang = None,
) -> Response:
    return _login_page(request, _ui(request, hl), safe_next(next, "/agent"))


@login_router.post("/agent/login")
def agent_login(
    request: Request,
    token: Annotated[str, Form(max_length=512)],
    csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=200)] = "/agent",
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    """The agent token, or the admin token (an admin can do what an agent does)."""
    check_csrf(request, csrf)
    ui = _ui(request, hl or None)
    role = token_role(request.app.state.kb.settings, token)
    if role is None:
        return _login_page(request, ui, next, 401, agent_strings(ui)["login_wrong"])
    target = safe_next(next, "/agent")
    if role == "agent" and not target.startswith("/agent"):
        target = "/agent"
    if target == "/agent" and hl:
        target = f"/agent?hl={ui}"
    return login_response(request, role, target)


@login_router.post("/agent/logout")
def agent_logout(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)],
    hl: Annotated[str, Form(max_length=MAX_LANG)] = "",
) -> Response:
    check_csrf(request, csrf)
    ui = _ui(request, hl or None)
    response = RedirectResponse(f"/agent/login?hl={ui}", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response
