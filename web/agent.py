"""Support agents: paste a customer's message, get ready-to-paste answers."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from kb.errors import QueryError
from kb.suggest import Suggestion, SuggestResult, suggest
from web.rendering import render
from web.security import AgentRoute, check_csrf, csrf_token, require_agent, session_id

router = APIRouter(route_class=AgentRoute)
SEARCH_ID = re.compile(r"^[0-9a-f]{32}$")  # ids the search log handed out; anything else: none
MAX_MESSAGE = 10_000


class SuggestRequest(BaseModel):
    message: str = Field(
        ...,
        min_length=1,
        max_length=MAX_MESSAGE,
        description="The customer's message, pasted as is.",
    )
    lang: str | None = Field(None, max_length=8, description="Reply language; detected if unset.")


class SuggestResponse(BaseModel):
    lang: str | None
    cleaned: str
    questions: list[str]
    note: str | None
    suggestions: list[Suggestion]


def _run(request: Request, message: str, lang: str | None) -> SuggestResult:
    state = request.app.state.kb
    if len(message) > MAX_MESSAGE:
        raise QueryError(
            f"the message is too long ({len(message)} characters; at most {MAX_MESSAGE})"
        )
    base = state.settings.public_url or str(request.base_url)
    started = time.perf_counter()
    result = suggest(
        state.searcher,
        message,
        lang or None,
        base_url=base,
        order_pattern=state.settings.order_number_pattern,
    )
    latency = (time.perf_counter() - started) * 1000 / max(1, len(result.searches))
    ids: dict[str, str] = {}
    for unit, search in result.searches:
        ids[unit] = state.log_search(session_id(request), search, "agent", latency)
    for s in result.suggestions:
        s.search_id = ids.get(s.question)
    return result


@router.post(
    "/api/suggest",
    response_model=SuggestResponse,
    tags=["agents"],
    dependencies=[Depends(require_agent)],
)
def api_suggest(request: Request, body: SuggestRequest) -> dict[str, Any]:
    """Best 3-5 sections answering a customer's message, each with a ready-to-paste reply
    (plain text and Markdown) ending with the link to the section. Needs the agent or
    admin token as a bearer token."""
    return _run(request, body.message, body.lang).to_dict()


@router.get(
    "/agent",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(require_agent)],
)
def agent_form(request: Request) -> Response:
    return render(request, "agent.html", "en", message="", result=None, csrf=csrf_token(request))


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
    lang: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    check_csrf(request, csrf)
    if not message.strip():
        return render(
            request,
            "agent.html",
            "en",
            status_code=422,
            message=message,
            result=None,
            csrf=csrf_token(request),
            error="Paste the customer's message first.",
        )
    result = _run(request, message, lang or None)
    rows = [{"s": s, "html": Markup(s.html)} for s in result.suggestions]  # rendered by kb
    return render(
        request,
        "agent.html",
        "en",
        message=message,
        result=result,
        rows=rows,
        csrf=csrf_token(request),
        lang_choice=lang,
    )


@router.post("/agent/copy", include_in_schema=False, dependencies=[Depends(require_agent)])
def agent_copy(
    request: Request,
    csrf: Annotated[str, Form(max_length=128)],
    lang: Annotated[str, Form(max_length=8)],
    slug: Annotated[str, Form(max_length=200)],
    section_id: Annotated[str, Form(max_length=200)] = "",
    search_id: Annotated[str, Form(max_length=64)] = "",
    format: Annotated[str, Form(pattern="^(text|markdown)$")] = "text",
) -> Response:
    """Logs that an agent reused a section (sent by copy.js, or the no-JS form button)."""
    check_csrf(request, csrf)
    events = request.app.state.kb.events
    if events is not None:
        events.record_copy(
            session_id=session_id(request),
            lang=lang,
            slug=slug,
            section_id=section_id or None,
            search_id=search_id if SEARCH_ID.match(search_id) else None,
            fmt=format,
        )
    if request.headers.get("x-requested-with") == "fetch":
        return Response(status_code=204)
    return RedirectResponse("/agent", status_code=303)
