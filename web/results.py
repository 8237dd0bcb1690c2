"""The search results page, and what it shows of a search: only what the evidence supports.

A search ranks every article, so its tail is noise (score 0 for "what is the capital of
France"). The page shows a hit only when its confidence reaches a share of the answer
threshold, labels nothing but the best answer of an answered search, and when nothing
answers offers at most three related articles, the contact page with the question, the
other language when that one answers, and related questions other customers found
answered. Thresholds come from the index (calibrated
elsewhere), so this policy follows any recalibration.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from kb.errors import QueryError
from kb.insights.popular import related_queries
from kb.search.searcher import Hit, SearchResult
from web.deps import Searching, State
from web.errors import query_error_key
from web.i18n import message
from web.ratelimit import limiter
from web.rendering import page_lang, render
from web.state import AppState
from web.urls import home_url, search_url, tracked_url
from web.validation import check_lang

router = APIRouter(include_in_schema=False)
EVIDENCE_SHARE = 0.5  # of the answer threshold: below it a hit is not worth showing
MAX_RELATED = 3  # "maybe related" items when nothing answers


def shown_hits(result: SearchResult, limit: int | None = None) -> list[Hit]:
    """The hits with some evidence, best first; all of an answered search's best hit."""
    floor = result.threshold * EVIDENCE_SHARE
    hits = [h for h in result.hits if h.confidence_score >= floor]
    if result.answered and result.hits and result.hits[0] not in hits:
        hits.insert(0, result.hits[0])
    if limit is None:
        limit = len(hits) if result.answered else MAX_RELATED
    return hits[:limit]


def tracked_hits(hits: list[Hit], search_id: str) -> list[dict[str, object]]:
    """Hits for a template, linked through the click log (search id and position)."""
    return [
        {
            **hit.to_dict(),
            "href": tracked_url(hit.url, search_id, position),
            "snippet_html": Markup(hit.snippet_html),  # escaped by the highlighter
        }
        for position, hit in enumerate(hits, 1)
    ]


def other_language_answer(state: AppState, result: SearchResult) -> str | None:
    """A language other than the one searched that answers the query, if any."""
    searched = result.lang
    if result.answered or not searched or result.fallback_from:
        return None
    searcher = state.searcher
    for other in searcher.index.languages:
        if other != searched and searcher.search(result.query, other).answered:
            return str(other)
    return None


@router.get("/search", dependencies=[Depends(limiter("search"))])
def search_page(
    request: Request,
    state: State,
    searches: Searching,
    q: Annotated[str, Query(max_length=2000)] = "",
    lang: Annotated[str | None, Query(max_length=8)] = None,
    hl: Annotated[str | None, Query(max_length=8)] = None,
    exact: Annotated[str | None, Query(max_length=1)] = None,
) -> Response:
    """``hl`` is the interface language (the page searched from, or the language switch);
    ``lang`` restricts results to one language. Without ``lang`` the query's own language
    decides what is searched, whatever the interface language. A misspelt query that
    only its correction answers shows the correction's results; ``exact=1`` (the
    "search instead for" link) searches what was typed."""
    asked_ui = hl if hl in state.index.languages else None
    ui_lang = page_lang(request, asked_ui or lang)
    if not q.strip():
        return RedirectResponse(home_url(ui_lang), status_code=303)
    try:
        only = check_lang(state, lang)
        result, search_id = searches.search(
            "page", q, only, prefer=asked_ui or ui_lang, correct=exact != "1"
        )
    except QueryError as exc:
        return _refused(request, state, ui_lang, q, exc)
    if not asked_ui and not lang and (result.fallback_from or result.lang):
        ui_lang = result.fallback_from or result.lang or ui_lang
    return render(
        request,
        "search.html",
        ui_lang,
        query=q,
        result=result,
        hits=tracked_hits(shown_hits(result), search_id),
        error=None,
        switch={
            code: search_url(q=q, lang=lang, hl=code)
            for code in state.index.languages
            if code != ui_lang
        },
        **_alternatives(state, result, q, lang, ui_lang),
    )


def _alternatives(
    state: AppState, result: SearchResult, q: str, lang: str | None, ui_lang: str
) -> dict[str, Any]:
    """What the page offers besides the hits: the other language that answers, the
    corrected or the exact spelling, and questions others asked when nothing answers."""
    other = other_language_answer(state, result)
    also = []
    if not result.answered:
        asked = result.lang or ui_lang
        also = [
            (text, search_url(q=text, hl=ui_lang))
            for text in related_queries(q, asked, state.popular_queries(asked))
        ]
    corrected = result.corrected_query
    return {
        "other_lang": other,
        "other_url": search_url(q=q, lang=other, hl=ui_lang) if other else None,
        "corrected_url": search_url(q=corrected, lang=lang, hl=ui_lang, exact="1")
        if corrected
        else None,
        "exact_url": search_url(q=q, lang=lang, hl=ui_lang, exact="1"),
        "also_searched": also,
    }


def _refused(request: Request, state: AppState, ui_lang: str, q: str, exc: QueryError) -> Response:
    """The results page saying why the query cannot be searched (422)."""
    return render(
        request,
        "search.html",
        ui_lang,
        status_code=422,
        query=q,
        error=message(
            ui_lang,
            query_error_key(exc),
            max=state.settings.max_query_chars,
            available=", ".join(state.index.languages),
        ),
        result=None,
        hits=[],
    )
