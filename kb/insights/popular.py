"""Popular questions: what other customers asked, found an answer to and opened.

Suggested while typing and, when a search is not answered, as "people also searched
for". Only questions that worked (answered, a result clicked) and that several sessions
asked (one person's repeats are not popular, and a question only one person typed may be
theirs alone), and never one with personal data: the event store keeps queries scrubbed,
and any that still carry a placeholder or anything the scrubber would remove are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from kb.pii import PLACEHOLDER, scrub
from kb.search.lexical import Analyzer
from kb.text import query_key

MIN_SESSIONS = 3
MAX_POPULAR = 500  # per language: what type-ahead scans on a keystroke
MAX_RELATED = 5


def popular_queries(
    rows: Iterable[tuple[str | None, str, str]], min_sessions: int = MIN_SESSIONS
) -> dict[str, list[str]]:
    """``rows``: (lang, query, session) of answered and clicked searches. Per language,
    the questions asked in at least ``min_sessions`` sessions, most sessions first, each
    in its most common spelling."""
    sessions: dict[tuple[str, str], set[str]] = {}
    spellings: dict[tuple[str, str], Counter[str]] = {}
    for lang, query, session in rows:
        text = " ".join(query.split())
        if not lang or not text or PLACEHOLDER.search(text) or scrub(text) != text:
            continue
        key = (lang, query_key(text))
        sessions.setdefault(key, set()).add(session)
        spellings.setdefault(key, Counter())[text] += 1
    ranked = sorted(
        (k for k, s in sessions.items() if len(s) >= min_sessions),
        key=lambda k: (-len(sessions[k]), k),
    )
    out: dict[str, list[str]] = {}
    for group in ranked:
        chosen = out.setdefault(group[0], [])
        if len(chosen) < MAX_POPULAR:
            chosen.append(spellings[group].most_common(1)[0][0])
    return out


def related_queries(
    query: str, lang: str, popular: list[str], limit: int = MAX_RELATED
) -> list[str]:
    """Popular questions that share a word (stemmed, stop words aside) with ``query``:
    most shared words first, then the most popular; never the query itself."""
    analyzer = Analyzer(lang)
    mine = set(analyzer.terms(query))
    if not mine:
        return []
    key = query_key(query)
    scored = []
    for rank, other in enumerate(popular):
        shared = len(mine & set(analyzer.terms(other)))
        if shared and query_key(other) != key:
            scored.append((-shared, rank, other))
    return [other for _, _, other in sorted(scored)[:limit]]
