"""What the app holds for its lifetime: settings, the embedder and the live index."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kb.assist.suggest import SuggestResult
from kb.insights.events import EventStore, new_id
from kb.insights.popular import popular_queries
from kb.models.embeddings import Embedder
from kb.search import distribution
from kb.search.index import ArticleEntry, SearchIndex, current_version, named_version
from kb.search.searcher import Searcher, SearchResult
from kb.search.shared_cache import SharedCache
from kb.search.typeahead import Typeahead
from kb.settings import Settings
from web.metrics import Metrics

log = logging.getLogger("kb.web")
POPULAR_TTL = 300.0  # seconds popular questions are reused before the event store is asked


def shared_cache(settings: Settings, index: SearchIndex) -> SharedCache | None:
    """The fleet's query cache for this index version, with ``KB_REDIS_URL``."""
    if not settings.redis_url:
        return None
    return SharedCache(settings.redis_url, settings.redis_prefix, index.version)


def fetch_published(settings: Settings) -> str | None:
    """With ``KB_INDEX_SOURCE``, copy its current version into ``KB_INDEX_DIR`` and make it
    current there (atomically: see ``kb.search.distribution``). Never raises: a location that is
    unreachable or mid-publish is logged and the version already here keeps serving."""
    if not settings.index_source:
        return None
    try:
        fetched = distribution.sync(settings.index_source, settings.index_dir)
    except Exception as exc:
        error = f"could not fetch the index from {settings.index_source}: {exc}"
        if _fetch_errors.get(settings.index_dir) != error:  # once, not every interval
            log.error("%s; still serving what %s holds", error, settings.index_dir)
        _fetch_errors[settings.index_dir] = error
        return None
    _fetch_errors.pop(settings.index_dir, None)
    return fetched


_fetch_errors: dict[Path, str] = {}  # the last fetch error per index folder (logged once)


@dataclass
class AppState:
    settings: Settings
    embedder: Embedder
    searcher: Searcher
    events: EventStore | None = None
    metrics: Metrics | None = None
    index_error: str | None = None
    _categories: tuple[str, dict[str, dict[str, list[ArticleEntry]]]] | None = field(
        default=None, repr=False
    )
    _views: tuple[float, dict[tuple[str, str], int]] | None = field(default=None, repr=False)
    _typeahead: tuple[str, Typeahead] | None = field(default=None, repr=False)
    _queries: tuple[float, dict[str, list[str]]] | None = field(default=None, repr=False)
    # the poller and `kb serve --reload-content`'s builder both swap: one load at a time
    _reload: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reload_if_changed(self) -> bool:
        """Swap to a newer published index version, if there is one.

        Requests in flight keep the searcher they started with; new requests get the new
        one (a single reference assignment). A version that fails to load is reported on
        /healthz and the current one keeps serving.
        """
        with self._reload:
            return self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        fetch_published(self.settings)
        folder = current_version(self.settings.index_dir)
        if folder is None:
            named = named_version(self.settings.index_dir)
            if named and named != self.index.version:
                self._refuse(
                    named,
                    "it has no manifest.json (incomplete: a build or copy that did not finish?)",
                )
            return False
        if folder.name == self.index.version:
            return False
        try:
            index = SearchIndex.load_version(folder, getattr(self.embedder, "fingerprint", None))
        except Exception as exc:
            self._refuse(folder.name, str(exc))
            return False
        old = self.searcher
        # built before the swap: the first keystroke on the new version must not wait
        typeahead = Typeahead(index.articles.values())
        self._typeahead = (index.version, typeahead)
        self.searcher = Searcher(
            index,
            self.embedder,
            threshold_override=old.threshold_override,
            max_query_chars=old.max_query_chars,
            shared=shared_cache(self.settings, index),
            typo_tolerance=old.typo_tolerance,
        )
        self.index_error = None
        log.info("now serving index %s", index.version)
        return True

    def _refuse(self, version: str, why: str) -> None:
        """Keep serving the loaded version and say why on /healthz (logged once per reason,
        not on every check)."""
        error = f"index {version} not loaded: {why}"
        if error != self.index_error:
            log.error("%s; still serving %s", error, self.index.version)
        self.index_error = error

    def watch_loop(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Swap to each newly published index until ``stop`` is set; never dies."""
        while not stop.wait(interval):
            try:
                self.reload_if_changed()
            except Exception as exc:
                log.error("index watcher: %s", exc)

    def log_search(
        self,
        session_id: str,
        result: SearchResult,
        source: str,
        latency_ms: float,
        *,
        message_id: str | None = None,
        unit: str | None = None,
    ) -> str:
        """Record a search (never raises: logging must not break searching)."""
        # the asked language, also when only another language's article answered
        asked = result.fallback_from or result.lang
        top = result.hits[0] if result.hits else None
        if self.metrics is not None:
            self.metrics.observe_search(source, asked, result.answered)
        if self.events is None:
            return new_id()
        return self.events.record_search(
            session_id=session_id,
            query=result.query,
            lang=asked or (top.lang if top else None),
            hit_lang=top.lang if top else None,
            results=len(result.hits),
            best_score=top.confidence_score if top else None,
            answered=result.answered,
            slugs=[h.slug for h in result.hits],
            latency_ms=latency_ms,
            source=source,
            message_id=message_id,
            unit=unit,
        )

    def log_agent_message(self, session_id: str, result: SuggestResult, latency_ms: float) -> str:
        """One pasted message is one agent event; its units are searches that point to it,
        marked as questions or context, never a session of reformulations."""
        message_id = new_id()
        per_unit = latency_ms / max(1, len(result.units))
        for unit in result.units:
            kind = "question" if unit.asks else "context"
            unit.search_id = self.log_search(
                session_id, unit.result, "agent", per_unit, message_id=message_id, unit=kind
            )
        asking = [u for u in result.units if u.asks]
        if self.events is not None:
            self.events.record_agent_message(
                session_id=session_id,
                lang=result.lang,
                questions=len(asking),
                answered=sum(u.answered for u in asking),
                units=len(result.units),
                latency_ms=latency_ms,
                message_id=message_id,
            )
        result.message_id = message_id
        ids = {u.text: u.search_id for u in result.units}
        for suggestion in result.suggestions:
            suggestion.search_id = ids.get(suggestion.question)
        return message_id

    @property
    def index(self) -> SearchIndex:
        return self.searcher.index

    @property
    def by_category(self) -> dict[str, dict[str, list[ArticleEntry]]]:
        """Articles per language and category, categories in the order writers gave in
        ``_categories.yml`` (then any others by name), articles by title."""
        index = self.index
        if self._categories is not None and self._categories[0] == index.version:
            return self._categories[1]
        grouped: dict[str, dict[str, list[ArticleEntry]]] = {}
        for article in sorted(index.articles.values(), key=lambda a: a.title.lower()):
            grouped.setdefault(article.lang, {}).setdefault(article.category, []).append(article)
        for lang, categories in grouped.items():
            order = list(self.category_names(lang))
            ranked = sorted(
                categories,
                key=lambda c: (order.index(c) if c in order else len(order), c),
            )
            grouped[lang] = {c: categories[c] for c in ranked}
        self._categories = (index.version, grouped)
        return grouped

    def category_translations(self, lang: str, category: str) -> dict[str, str]:
        """The same topic in the other languages: where most of this category's
        articles' translations are filed."""
        votes: dict[str, Counter[str]] = {}
        for article in self.by_category.get(lang, {}).get(category, []):
            for translated in self.translations(article):
                votes.setdefault(translated.lang, Counter())[translated.category] += 1
        return {other: counts.most_common(1)[0][0] for other, counts in votes.items()}

    def category_names(self, lang: str) -> dict[str, str]:
        names: dict[str, dict[str, str]] = self.index.manifest.get("categories", {})
        return names.get(lang, {})

    def translations(self, article: ArticleEntry) -> list[ArticleEntry]:
        if not article.translation_key:
            return []
        return [
            a
            for a in self.index.articles.values()
            if a.translation_key == article.translation_key and a.lang != article.lang
        ]

    def popular(self, lang: str, limit: int = 6) -> list[ArticleEntry]:
        """Most viewed in the last 30 days; featured, then recently updated, fill the rest."""
        views = self._view_counts()
        articles = [a for a in self.index.articles.values() if a.lang == lang]
        articles.sort(
            key=lambda a: (-views.get((a.lang, a.slug), 0), not a.featured, a.updated or ""),
        )
        viewed = [a for a in articles if views.get((a.lang, a.slug), 0)]
        rest = [a for a in articles if not views.get((a.lang, a.slug), 0)]
        rest.sort(key=lambda a: a.updated or "", reverse=True)  # newest first...
        rest.sort(key=lambda a: not a.featured)  # ...featured ahead (sorts are stable)
        return (viewed + rest)[:limit]

    @property
    def typeahead(self) -> Typeahead:
        """Titles and headings of the live index, for suggestions while typing (built
        once per index version: the server warms it when it loads one)."""
        index = self.index
        current = self._typeahead
        if current is None or current[0] != index.version:
            current = self._typeahead = (index.version, Typeahead(index.articles.values()))
        return current[1]

    def popular_queries(self, lang: str) -> list[str]:
        """Questions customers often asked and found answered (kb.insights.popular), cached for
        five minutes: type-ahead asks on every keystroke."""
        now = time.monotonic()
        if self._queries is None or now - self._queries[0] >= POPULAR_TTL:
            queries: dict[str, list[str]] = {}
            if self.events is not None:
                try:
                    queries = popular_queries(self.events.answered_queries())
                except Exception as exc:  # suggestions must not depend on the event store
                    log.error("could not read popular questions: %s", exc)
            self._queries = (now, queries)
        return self._queries[1].get(lang, [])

    def _view_counts(self) -> dict[tuple[str, str], int]:
        """Article views per (lang, slug), cached for a minute: the home page is hot."""
        now = time.monotonic()
        if self._views is not None and now - self._views[0] < 60:
            return self._views[1]
        counts: dict[tuple[str, str], int] = {}
        if self.events is not None:
            try:
                counts = self.events.view_counts(days=30)
            except Exception as exc:  # the home page must not depend on the event store
                log.error("could not read article views: %s", exc)
        self._views = (now, counts)
        return counts
