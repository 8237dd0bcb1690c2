"""The published articles as the site lists them: by language and category, with their
translations, and the popular ones a home page leads with.

Built from one loaded index version and read-only, so it is shared between threads and
replaced with the version (``kb.search.live``). It lives beside the index rather than in
``kb.content`` because it reads the index's pre-rendered ``ArticleEntry`` records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cached_property

from kb.search.index import ArticleEntry, SearchIndex
from kb.text import sort_key


class Catalogue:
    """Listing queries over one index version."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    @cached_property
    def by_category(self) -> dict[str, dict[str, list[ArticleEntry]]]:
        """Articles per language and category, categories in the order writers gave in
        ``_categories.yml`` (then any others by name), articles by title."""
        grouped: dict[str, dict[str, list[ArticleEntry]]] = {}
        for article in sorted(self.index.articles.values(), key=lambda a: sort_key(a.title)):
            grouped.setdefault(article.lang, {}).setdefault(article.category, []).append(article)
        for lang, categories in grouped.items():
            order = list(self.category_names(lang))
            ranked = sorted(
                categories,
                key=lambda c: (order.index(c) if c in order else len(order), c),
            )
            grouped[lang] = {c: categories[c] for c in ranked}
        return grouped

    def category(self, lang: str, category: str) -> list[ArticleEntry]:
        return self.by_category.get(lang, {}).get(category, [])

    def category_names(self, lang: str) -> dict[str, str]:
        """The writers' display names of ``lang``'s categories (``_categories.yml``)."""
        names: dict[str, dict[str, str]] = self.index.manifest.get("categories", {})
        return names.get(lang, {})

    def category_translations(self, lang: str, category: str) -> dict[str, str]:
        """The same topic in the other languages: where most of this category's
        articles' translations are filed."""
        votes: dict[str, Counter[str]] = {}
        for article in self.category(lang, category):
            for translated in self.translations(article):
                votes.setdefault(translated.lang, Counter())[translated.category] += 1
        return {other: counts.most_common(1)[0][0] for other, counts in votes.items()}

    def translations(self, article: ArticleEntry) -> list[ArticleEntry]:
        """The article in the other languages (the same ``translation_key``)."""
        if not article.translation_key:
            return []
        return [
            a
            for a in self.index.articles.values()
            if a.translation_key == article.translation_key and a.lang != article.lang
        ]

    def in_another_language(self, lang: str, slug: str) -> ArticleEntry | None:
        """The article a slug of another language names, in ``lang`` if it is translated."""
        for other in self.index.languages:
            found = self.index.article(other, slug) if other != lang else None
            if found is not None:
                translated = [t for t in self.translations(found) if t.lang == lang]
                return translated[0] if translated else found
        return None

    def popular(
        self, lang: str, views: Mapping[tuple[str, str], int], limit: int = 6
    ) -> list[ArticleEntry]:
        """Most viewed (``views`` per (lang, slug)); featured, then recently updated, fill
        the rest."""
        articles = [a for a in self.index.articles.values() if a.lang == lang]
        articles.sort(
            key=lambda a: (-views.get((a.lang, a.slug), 0), not a.featured, a.updated or ""),
        )
        viewed = [a for a in articles if views.get((a.lang, a.slug), 0)]
        rest = [a for a in articles if not views.get((a.lang, a.slug), 0)]
        rest.sort(key=lambda a: a.updated or "", reverse=True)  # newest first...
        rest.sort(key=lambda a: not a.featured)  # ...featured ahead (sorts are stable)
        return (viewed + rest)[:limit]
