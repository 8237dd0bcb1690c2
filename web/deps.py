"""What routes declare they need, typed: the app's state, the visitor's session and
searches, who is signed in, and path ids already checked.

Route bodies get an ``AppState`` (not ``request.app.state.kb``, which mypy cannot see
into), and the checks that used to open each route (is this a language we have? is
this article published?) answer the same status on every route that asks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from kb.search.index import ArticleEntry
from web.errors import VisitorError
from web.searching import Searches
from web.security import require_agent, session_id
from web.state import AppState, get_state
from web.validation import MAX_LANG, check_lang


# The dependencies every search resolves are coroutines: FastAPI runs a plain ``def``
# dependency in the thread pool, and a hop there and back (a queue, two wake-ups) cost
# more than these attribute reads; four of them came with every /api/search.
async def _state(request: Request) -> AppState:
    return get_state(request)


async def _session_id(request: Request) -> str:
    return session_id(request)


State = Annotated[AppState, Depends(_state)]
SessionId = Annotated[str, Depends(_session_id)]


async def get_searches(state: State, session: SessionId) -> Searches:
    return Searches(state, session)


Searching = Annotated[Searches, Depends(get_searches)]

# who is signed in on the agent pages: "admin" or "agent" (401, or a redirect to the login
# page for browsers, when nobody is). Routes that need no role list
# ``Depends(require_admin)`` / ``Depends(require_agent)`` in their ``dependencies``.
AgentRole = Annotated[str, Depends(require_agent)]


def known_lang(state: State, lang: str) -> str:
    """A language in the path (``/{lang}/...``) the help center has articles in, else 404."""
    if lang not in state.index.languages:
        raise VisitorError(404, f"no articles in language '{lang}'", "error.not_found_text")
    return lang


PageLang = Annotated[str, Depends(known_lang)]


def published_article(state: State, lang: PageLang, slug: str) -> ArticleEntry:
    """The published article the path names, else 404."""
    article = state.index.article(lang, slug)
    if article is None:
        raise VisitorError(404, f"no article '{slug}'", "error.article_not_found")
    return article


PublishedArticle = Annotated[ArticleEntry, Depends(published_article)]


def filter_lang(
    state: State, lang: Annotated[str | None, Query(max_length=MAX_LANG)] = None
) -> str | None:
    """A report's language filter (``?lang=``): a language the help center has, or none;
    422 with the list for any other (``web.validation``)."""
    return check_lang(state, lang)


FilterLang = Annotated[str | None, Depends(filter_lang)]
