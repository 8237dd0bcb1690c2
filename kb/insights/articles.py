"""Per-article figures from the raw events: views, how many came from a search and from
which queries, votes with their reasons and comments, and the sections agents reused.

One tally for every reader: the dashboard's top-articles table
(:func:`kb.insights.tables.top_articles`, customers' events only) and the writers'
article-quality page (every event, every published article).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kb.insights import schema
from kb.insights.events import EventStore, now
from kb.search.index import ArticleEntry, SearchIndex
from kb.text import sort_key

Row = dict[str, Any]
Key = tuple[str, str]  # (lang, slug)


@dataclass
class ArticleStats:
    views: int = 0
    from_search: int = 0
    yes: int = 0
    no: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)  # searches that led here
    comments: list[str] = field(default_factory=list)
    copies: Counter[str] = field(default_factory=Counter)  # per section id ("" = the top)

    @property
    def helpful_pct(self) -> int | None:
        votes = self.yes + self.no
        return round(100 * self.yes / votes) if votes else None

    @property
    def copy_count(self) -> int:
        return sum(self.copies.values())

    def top_queries(self, n: int = 5) -> list[tuple[str, int]]:
        return self.queries.most_common(n)

    def copied_sections(self, article: ArticleEntry, n: int = 5) -> list[tuple[str, int]]:
        """The most reused sections by their heading (``(top)``: the article's opening)."""
        headings = {section_id: heading for _, heading, section_id in article.toc}
        return [(headings.get(s, s or "(top)"), k) for s, k in self.copies.most_common(n)]


def tally(
    clicks: Iterable[Row],
    votes: Iterable[Row],
    searches: Iterable[Row] = (),
    copies: Iterable[Row] = (),
) -> defaultdict[Key, ArticleStats]:
    """Each article's figures from event rows (``kb.insights.schema``); an article no
    event names is absent (and reads as all zeros)."""
    stats: defaultdict[Key, ArticleStats] = defaultdict(ArticleStats)
    queries = {r["id"]: r["query"] for r in searches}
    for click in clicks:
        entry = stats[(click["lang"], click["slug"])]
        entry.views += 1
        if click["search_id"]:
            entry.from_search += 1
            if click["search_id"] in queries:
                entry.queries[queries[click["search_id"]]] += 1
    for copy in copies:
        # a draft is one copy that reused several sections: each counts as reused
        used = json.loads(copy["sections"] or "[]") or [
            f"{copy['lang']}/{copy['slug']}#{copy['section_id'] or ''}"
        ]
        for key in used:
            key_lang, rest = key.split("/", 1)
            key_slug, _, key_section = rest.partition("#")
            stats[(key_lang, key_slug)].copies[key_section] += 1
    for vote in votes:
        entry = stats[(vote["lang"], vote["slug"])]
        if vote["helpful"]:
            entry.yes += 1
        else:
            entry.no += 1
        if vote["reason"]:
            entry.reasons[vote["reason"]] += 1
        if vote["comment"]:
            entry.comments.append(vote["comment"])
    return stats


def article_quality(
    store: EventStore,
    index: SearchIndex,
    *,
    days: int = 30,
    lang: str | None = None,
    at: datetime | None = None,
) -> list[tuple[ArticleEntry, ArticleStats]]:
    """Every published article (of ``lang``) with its figures over the last ``days``
    days, from every visitor and agent: the most reused by agents first, then the most
    viewed, then by title."""
    since = (at or now()) - timedelta(days=days)
    stats = tally(
        store.rows(schema.clicks, since),
        store.rows(schema.votes, since),
        store.rows(schema.searches, since),
        store.rows(schema.copies, since),
    )
    articles = sorted(index.articles.values(), key=lambda a: (a.lang, sort_key(a.title)))
    rows = [
        (article, stats[(article.lang, article.slug)])
        for article in articles
        if not lang or article.lang == lang
    ]
    rows.sort(key=lambda r: (-r[1].copy_count, -r[1].views, sort_key(r[0].title)))
    return rows
