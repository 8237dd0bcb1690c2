"""Type-ahead latency: every keystroke of realistic queries, against a naive baseline.

The baseline, measured in the same run on the same keystrokes, is the simplest thing
that could work: a linear scan for titles and headings that start with the folded text
typed (no word prefixes, no typos, no popular questions). Over HTTP the baseline is the
round trip of /healthz on the same server: what any request costs there.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from kb.search.index import SearchIndex
from kb.search.typeahead import Typeahead
from kb.text import fold_diacritics

MIN_CHARS = 2


def keystrokes(queries: list[str], limit: int) -> list[str]:
    """What a search box sends while each query is typed: every prefix of 2+ characters."""
    out: list[str] = []
    for query in queries:
        out += [query[:n] for n in range(MIN_CHARS, len(query) + 1)]
        if len(out) >= limit:
            break
    return out[:limit]


def in_process(index_dir: Path, typed: list[str], lang: str = "en") -> dict[str, list[float]]:
    """Milliseconds per keystroke: ``Typeahead.suggest`` and the linear-scan baseline,
    alternating in thirds so a shared machine's drifting load hits both alike."""
    index = SearchIndex.load(index_dir)
    typeahead = Typeahead(index.articles.values())
    texts = [
        fold_diacritics(text.lower())
        for a in index.articles.values()
        if a.lang == lang
        for text in [a.title, *(heading for _, heading, _ in a.toc)]
    ]
    times: dict[str, list[float]] = {"typeahead": [], "scan": []}
    for part in (typed[0::3], typed[1::3], typed[2::3]):
        for text in part:
            started = time.perf_counter()
            typeahead.suggest(text, lang, limit=8)
            times["typeahead"].append((time.perf_counter() - started) * 1000)
        for text in part:
            started = time.perf_counter()
            folded = fold_diacritics(text.lower())
            [t for t in texts if t.startswith(folded)][:8]
            times["scan"].append((time.perf_counter() - started) * 1000)
    return times


def over_http(base: str, typed: list[str], lang: str = "en") -> dict[str, list[float]]:
    """Milliseconds per request, one client: /api/typeahead and /healthz, interleaved."""
    times: dict[str, list[float]] = {"typeahead": [], "healthz": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in typed:
            started = time.perf_counter()
            client.get("/api/typeahead", params={"q": text, "lang": lang}).raise_for_status()
            times["typeahead"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            times["healthz"].append((time.perf_counter() - started) * 1000)
    return times
