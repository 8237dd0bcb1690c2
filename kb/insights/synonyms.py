"""Synonym suggestions from the search log.

When a visitor's query finds nothing and their next query (same session, within minutes)
finds an article they open, the words they swapped are likely synonyms the writers'
`_synonyms.yml` lacks: "pouzeće" -> "plaćanje kod preuzimanja".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from kb.insights import schema
from kb.insights.events import CUSTOMER_SOURCES, EventStore, now
from kb.insights.gaps import REFORMULATION_WINDOW
from kb.language import STOPWORDS
from kb.text import fold_diacritics

_WORD = re.compile(r"[^\W\d_]+", re.U)


@dataclass(frozen=True)
class Suggestion:
    lang: str
    failed: str  # words only in the failed query
    worked: str  # words only in the query that found an article
    count: int
    example: tuple[str, str]


def _words(text: str, lang: str) -> list[str]:
    stop = STOPWORDS.get(lang, frozenset())
    return [w for w in _WORD.findall(text.lower()) if fold_diacritics(w) not in stop]


def suggest(store: EventStore, since_days: int = 90, max_words: int = 3) -> list[Suggestion]:
    since = now() - timedelta(days=since_days)
    clicked = {r["search_id"] for r in store.rows(schema.clicks, since) if r["search_id"]}
    by_session: dict[str, list[dict[str, object]]] = {}
    for row in store.rows(schema.searches, since):
        if row["source"] in CUSTOMER_SOURCES:  # a message's questions are no reformulations
            by_session.setdefault(str(row["session_id"]), []).append(row)
    counts: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], tuple[str, str]] = {}
    for rows in by_session.values():
        for before, after in pairwise(rows):
            gap = after["ts"] - before["ts"]  # type: ignore[operator]
            if before["answered"] or gap > REFORMULATION_WINDOW:
                continue
            if not (after["answered"] and after["id"] in clicked):
                continue
            lang = str(after["lang"] or "")
            a, b = _words(str(before["query"]), lang), _words(str(after["query"]), lang)
            only_a = [w for w in a if w not in b]
            only_b = [w for w in b if w not in a]
            if 0 < len(only_a) <= max_words and 0 < len(only_b) <= max_words:
                key = (lang, " ".join(only_a), " ".join(only_b))
                counts[key] += 1
                examples.setdefault(key, (str(before["query"]), str(after["query"])))
    return [
        Suggestion(lang, failed, worked, n, examples[(lang, failed, worked)])
        for (lang, failed, worked), n in counts.most_common()
    ]
