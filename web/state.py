"""What the app holds for its lifetime: settings, the embedder and the live index."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from kb.embeddings import Embedder
from kb.events import EventStore, new_id
from kb.index import ArticleEntry, SearchIndex
from kb.search import Searcher, SearchResult
from kb.settings import Settings


@dataclass
class AppState:
    settings: Settings
    embedder: Embedder
    searcher: Searcher
    events: EventStore | None = None

    def log_search(
        self, session_id: str, result: SearchResult, source: str, latency_ms: float
    ) -> str:
        """Record a search (never raises: logging must not break searching)."""
        if self.events is None:
            return new_id()
        return self.events.record_search(
            session_id=session_id,
            query=result.query,
            lang=result.lang or (result.hits[0].lang if result.hits else None),
            results=len(result.hits),
            best_score=result.hits[0].confidence_score if result.hits else None,
            answered=result.answered,
            slugs=[h.slug for h in result.hits],
            latency_ms=latency_ms,
            source=source,
        )

    @property
    def index(self) -> SearchIndex:
        return self.searcher.index

    @cached_property
    def by_category(self) -> dict[str, dict[str, list[ArticleEntry]]]:
        grouped: dict[str, dict[str, list[ArticleEntry]]] = {}
        for article in sorted(self.index.articles.values(), key=lambda a: a.title.lower()):
            grouped.setdefault(article.lang, {}).setdefault(article.category, []).append(article)
        return grouped

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
        """Featured articles first, then the most recently updated."""
        articles = [a for a in self.index.articles.values() if a.lang == lang]
        articles.sort(key=lambda a: (not a.featured, a.updated or ""), reverse=False)
        featured = [a for a in articles if a.featured]
        rest = sorted(
            (a for a in articles if not a.featured), key=lambda a: a.updated or "", reverse=True
        )
        return (featured + rest)[:limit]
