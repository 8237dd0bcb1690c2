"""Suggestions while typing: a small JSON endpoint the search boxes call on keystrokes.

It only looks up titles, headings and popular questions (kb.search.typeahead), never the model,
so it answers in about a millisecond; it is not logged as a search (a half-typed word is
not a question). It has its own per-client budget (``KB_RATE_LIMIT_TYPEAHEAD``), not the
searches': typing would use those up, yet a script must not get unlimited requests either.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from kb.search.typeahead import LIMIT
from web.deps import State
from web.ratelimit import limiter
from web.rendering import page_lang
from web.validation import check_lang

router = APIRouter()


class TypeaheadSuggestion(BaseModel):
    kind: str  # article | section | query
    text: str
    url: str


class TypeaheadResponse(BaseModel):
    query: str
    lang: str
    suggestions: list[TypeaheadSuggestion]


@router.get(
    "/api/typeahead",
    response_model=TypeaheadResponse,
    tags=["search"],
    dependencies=[Depends(limiter("typeahead"))],
    responses={429: {"description": "Too many requests from this client; see Retry-After."}},
)
def api_typeahead(
    request: Request,
    state: State,
    q: Annotated[str, Query(max_length=200, description="What has been typed so far.")],
    lang: Annotated[
        str | None,
        Query(description="Language of the suggestions (default: the visitor's language)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10, description="At most this many.")] = LIMIT,
) -> JSONResponse:
    """Article titles and section headings that begin with the typed words (accents
    ignored, the last word may be unfinished or mistyped), after a few popular questions
    other customers asked and found answered. `kind` is article, section or query; `url`
    is where choosing it goes."""
    code = check_lang(state, lang) or page_lang(request)
    suggestions = state.typeahead.suggest(q, code, state.popular_queries(code), limit)
    body = {"query": q, "lang": code, "suggestions": [s.to_dict() for s in suggestions]}
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})
