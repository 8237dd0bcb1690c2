"""What the app holds for its lifetime: settings, the embedder, the live index
(``kb.search.live``, which owns loading and swapping it) and the event store, plus the
few figures pages read from the event store, cached because the pages are hot."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.datastructures import State

from kb.insights.events import EventStore
from kb.insights.popular import popular_queries
from kb.models.embeddings import Embedder
from kb.search.catalogue import Catalogue
from kb.search.index import ArticleEntry, SearchIndex
from kb.search.live import LiveIndex
from kb.search.searcher import Searcher
from kb.search.typeahead import Typeahead
from kb.settings import Settings

if TYPE_CHECKING:  # web.metrics reads the state for its gauges
    from web.metrics import Metrics

log = logging.getLogger("kb.web")
POPULAR_TTL = 300.0  # seconds popular questions are reused before the event store is asked
VIEWS_TTL = 60.0  # seconds article views are reused (the home page's popular articles)


@dataclass
class AppState:
    settings: Settings
    embedder: Embedder
    live: LiveIndex
    events: EventStore
    metrics: Metrics
    _views: tuple[float, dict[tuple[str, str], int]] | None = field(default=None, repr=False)
    _queries: tuple[float, dict[str, list[str]]] | None = field(default=None, repr=False)

    # -- the live index (requests only run once it is ready: web.middleware.ReadinessGate)
    @property
    def ready(self) -> bool:
        return self.live.ready

    @property
    def searcher(self) -> Searcher:
        return self.live.current().searcher

    @property
    def index(self) -> SearchIndex:
        return self.live.current().index

    @property
    def catalogue(self) -> Catalogue:
        return self.live.current().catalogue

    @property
    def typeahead(self) -> Typeahead:
        """Titles and headings of the live index, for suggestions while typing."""
        return self.live.current().typeahead

    @property
    def index_error(self) -> str | None:
        return self.live.error

    def reload_if_changed(self) -> bool:
        """Swap to a newer published index version, if there is one (``kb.search.live``)."""
        return self.live.reload_if_changed()

    # -- what pages read from the event store ----------------------------------------
    def popular(self, lang: str, limit: int = 6) -> list[ArticleEntry]:
        """Most viewed in the last 30 days; featured, then recently updated, fill the rest."""
        return self.catalogue.popular(lang, self._view_counts(), limit)

    def popular_queries(self, lang: str) -> list[str]:
        """Questions customers often asked and found answered (kb.insights.popular), cached for
        five minutes: type-ahead asks on every keystroke."""
        now = time.monotonic()
        if self._queries is None or now - self._queries[0] >= POPULAR_TTL:
            queries: dict[str, list[str]] = {}
            try:
                queries = popular_queries(self.events.answered_queries())
            except Exception as exc:  # suggestions must not depend on the event store
                log.error("could not read popular questions: %s", exc)
            self._queries = (now, queries)
        return self._queries[1].get(lang, [])

    def _view_counts(self) -> dict[tuple[str, str], int]:
        """Article views per (lang, slug), cached for a minute: the home page is hot."""
        now = time.monotonic()
        if self._views is not None and now - self._views[0] < VIEWS_TTL:
            return self._views[1]
        counts: dict[tuple[str, str], int] = {}
        try:
            counts = self.events.view_counts(days=30)
        except Exception as exc:  # the home page must not depend on the event store
            log.error("could not read article views: %s", exc)
        self._views = (now, counts)
        return counts


def get_state(request: Request) -> AppState:
    """The app's state (a route dependency: ``web.deps.State``); routes only run once an
    index is loaded (``web.middleware.ReadinessGate``)."""
    state: AppState = request.app.state.kb
    return state


def serving_state(app_state: State) -> AppState | None:
    """The state when an index is being served, else None (health checks, error pages
    and metrics answer before that too)."""
    state: AppState | None = getattr(app_state, "kb", None)
    return state if state is not None and state.ready else None


def not_ready_reason(app_state: State) -> str:
    """Why no index is served yet (for the 503s until one is)."""
    state: AppState | None = getattr(app_state, "kb", None)
    return (state.live.not_ready if state is not None else None) or "starting up"
