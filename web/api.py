"""JSON endpoints for scripts and tools; the shape matches `kb search --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from kb.search.searcher import Hit
from web.deps import Searching, State
from web.metrics import Metrics
from web.ratelimit import limiter
from web.state import not_ready_reason, serving_state
from web.validation import check_lang

router = APIRouter()


class SearchResponse(BaseModel):
    query: str
    lang: str | None
    answered: bool
    fallback_from: str | None = None
    corrected_query: str | None = None
    results: list[Hit]


@router.get(
    "/api/search",
    response_model=SearchResponse,
    tags=["search"],
    dependencies=[Depends(limiter("search"))],
    responses={429: {"description": "Too many searches from this client; see Retry-After."}},
)
def api_search(
    state: State,
    searches: Searching,
    q: Annotated[
        str, Query(description="The question, in plain words (at most KB_MAX_QUERY_CHARS).")
    ],
    lang: Annotated[
        str | None, Query(description="Language: hr, en, ... (422 with the list if unknown).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Number of results.")] = 10,
    exact: Annotated[
        bool, Query(description="Search exactly what was typed (no spelling correction).")
    ] = False,
) -> Response:
    """Hybrid search: best section per article, best first; `answered` is false when no
    result clears the confidence threshold (results are then only 'maybe related').
    When only the query's likeliest spelling is answered, the results are that
    spelling's and `corrected_query` says which ("showing results for ...")."""
    result, _ = searches.search("api", q, check_lang(state, lang), limit, correct=not exact)
    # the body as the search cached it: no per-request validation and encoding (the
    # response model above still documents the shape)
    return Response(result.json, media_type="application/json")


@router.get("/healthz", tags=["operations"])
def healthz(request: Request) -> dict[str, Any]:
    """Liveness (the process answers) plus what is loaded."""
    state = serving_state(request.app.state)
    if state is None:
        return {"status": "starting", "index_version": None, "articles": 0, "chunks": 0}
    index = state.index
    return {
        "status": "ok",
        "index_error": state.index_error,
        "index_version": index.version,
        "index_source": state.settings.index_source or None,
        "articles": len(index.articles),
        "chunks": len(index.chunks),
        "languages": list(index.languages),
    }


@router.get("/readyz", tags=["operations"], responses={503: {"description": "Not ready yet"}})
def readyz(request: Request) -> Response:
    """Ready for traffic only once an index is loaded (load balancers wait for 200)."""
    state = serving_state(request.app.state)
    if state is None:
        return JSONResponse(
            {"ready": False, "reason": not_ready_reason(request.app.state)},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"ready": True, "index_version": state.index.version})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry: Metrics = request.app.state.metrics  # answers before an index is loaded too
    return Response(registry.exposition(request.app), media_type=registry.content_type)
