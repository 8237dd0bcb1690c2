"""Draft impact: which logged questions would a draft answer, and whose traffic would it take?

The logged unanswered searches of the last days are re-run against an index that includes
the draft; so are all logged queries, to see which articles it would displace at the top.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from kb.insights import schema
from kb.insights.events import EventStore, now
from kb.insights.gaps import unanswered_searches
from kb.search.searcher import Searcher


@dataclass
class Impact:
    lang: str
    slug: str
    would_answer: list[tuple[str, int, float]] = field(default_factory=list)  # query, n, score
    takes_from: Counter[str] = field(default_factory=Counter)  # slug -> queries
    checked_unanswered: int = 0
    checked_queries: int = 0


def draft_impact(
    store: EventStore,
    before: Searcher,
    after: Searcher,
    lang: str,
    slug: str,
    since_days: int = 30,
) -> Impact:
    since = now() - timedelta(days=since_days)
    impact = Impact(lang, slug)
    unanswered = Counter(u.query for u in unanswered_searches(store, since, lang))
    impact.checked_unanswered = len(unanswered)
    for query, n in unanswered.most_common():
        result = after.search(query, prefer=lang)
        if result.hits and result.hits[0].slug == slug and result.answered:
            impact.would_answer.append((query, n, result.hits[0].confidence_score))
    queries = Counter(
        str(r["query"]) for r in store.rows(schema.searches, since) if r["lang"] == lang
    )
    impact.checked_queries = len(queries)
    for query, n in queries.items():
        new = after.search(query, prefer=lang)
        if not new.hits or new.hits[0].slug != slug:
            continue
        old = before.search(query, prefer=lang)
        if old.hits and old.answered and old.hits[0].slug != slug:
            impact.takes_from[old.hits[0].slug] += n
    return impact
