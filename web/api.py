"""JSON endpoints for scripts and tools; the shape matches `kb search --json`."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from kb.search import Hit
from web.security import session_id

router = APIRouter()


class SearchResponse(BaseModel):
    query: str
    lang: str | None
    answered: bool
    fallback_from: str | None = None
    results: list[Hit]


@router.get("/api/search", response_model=SearchResponse, tags=["search"])
def api_search(
    request: Request,
    q: Annotated[str, Query(description="The question, in plain words.", max_length=2000)],
    lang: Annotated[str | None, Query(description="Language: hr, en, ...", max_length=8)] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Number of results.")] = 10,
) -> Response:
    """Hybrid search: best section per article, best first; `answered` is false when no
    result clears the confidence threshold (results are then only 'maybe related')."""
    state = request.app.state.kb
    started = time.perf_counter()
    result = state.searcher.search(q, lang or None, limit)
    latency = (time.perf_counter() - started) * 1000
    state.log_search(session_id(request), result, "api", latency)
    # the body as the search cached it: no per-request validation and encoding (the
    # response model above still documents the shape)
    return Response(result.json, media_type="application/json")


@router.get("/healthz", tags=["operations"])
def healthz(request: Request) -> dict[str, Any]:
    """Liveness plus what is loaded."""
    state = request.app.state.kb
    index = state.index
    return {
        "status": "ok",
        "index_error": state.index_error,
        "index_version": index.version,
        "articles": len(index.articles),
        "chunks": len(index.chunks),
        "languages": list(index.languages),
    }
