"""Answers while typing: titles, section headings and popular questions that fit a prefix.

Type-ahead runs on every keystroke, so it never touches the model or BM25: titles and
H2/H3 headings are indexed once per index version by their (folded) words, a query's
words are looked up as prefixes in a sorted word list (bisect), and the sets of entries
are intersected. The last word may be unfinished and mistyped: when it is no word's
prefix, word beginnings within the typo rules of :mod:`kb.search.typos` stand in for it.
Stop words are optional ("how to res" finds "Reset your password"); an entry that starts
with what was typed comes first, then titles before sections, then shorter ones.

Popular past questions (answered, clicked, from several sessions: :mod:`kb.insights.events`)
come from the caller, already chosen; here they are only matched the same way.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.language import STOPWORDS
from kb.search.index import ArticleEntry
from kb.search.typos import max_edits
from kb.text import fold_word

_WORD = re.compile(r"[^\W_]+", re.U)
LIMIT = 8
MIN_CHARS = 2  # one letter begins a third of all titles: nothing worth suggesting
MAX_QUERIES = 3  # popular questions among the suggestions
MAX_WORDS = 12  # words of a typed query that are looked at
MIN_FUZZY, MAX_FUZZY = 5, 12  # lengths of a last word that may be mistyped (kb.search.typos)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # article | section | query
    text: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Entry:
    kind: str
    text: str
    url: str
    folded: str
    words: frozenset[str]


def words_of(text: str, lang: str) -> list[str]:
    """Folded lower-case words, as entries and typed queries are compared."""
    return [fold_word(w, lang) for w in _WORD.findall(text.lower())]


@lru_cache(maxsize=4096)
def _query_words(query: str, lang: str) -> list[str]:
    """A popular question's words, analysed once rather than on every keystroke."""
    return words_of(query, lang)


@lru_cache(maxsize=16)
def _stop(lang: str) -> frozenset[str]:
    return frozenset(fold_word(w, lang) for w in STOPWORDS.get(lang, frozenset()))


class _Language:
    """One language's entries and the word index over them."""

    def __init__(self, lang: str, entries: list[_Entry]) -> None:
        self.lang = lang
        self.entries = entries
        postings: dict[str, set[int]] = {}
        for i, entry in enumerate(entries):
            for word in entry.words:
                postings.setdefault(word, set()).add(i)
        self.words = sorted(postings)
        self.postings = {w: frozenset(ids) for w, ids in postings.items()}
        # word beginnings by length -> entries, for a mistyped last word; built now, not
        # on a visitor's keystroke (~0.1 s for a help center of 2,500 articles)
        self._starts: dict[int, tuple[list[str], list[frozenset[int]]]] = {}
        for length in range(MIN_FUZZY - 2, MAX_FUZZY + 3):
            self.starts(length)

    def with_prefix(self, prefix: str) -> set[int]:
        """Entries with a word starting with ``prefix``."""
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\uffff")
        found: set[int] = set()
        for word in self.words[lo:hi]:
            found.update(self.postings[word])
        return found

    def starts(self, length: int) -> tuple[list[str], list[frozenset[int]]]:
        """Distinct word beginnings of one length, and the entries of each."""
        table = self._starts.get(length)
        if table is None:
            grouped: dict[str, set[int]] = {}
            for word, ids in self.postings.items():
                if len(word) >= length:
                    grouped.setdefault(word[:length], set()).update(ids)
            keys = list(grouped)
            table = self._starts[length] = (keys, [frozenset(grouped[k]) for k in keys])
        return table

    def near_prefix(self, typed: str) -> set[int]:
        """Entries with a word that starts like ``typed`` but for a typo or two."""
        edits = max_edits(typed) if len(typed) <= MAX_FUZZY else 0
        if not edits:
            return set()
        found: set[int] = set()
        for length in range(len(typed) - edits, len(typed) + edits + 1):
            keys, ids = self.starts(length)
            for _, _, i in process.extract(
                typed, keys, scorer=OSA.distance, score_cutoff=edits, limit=20
            ):
                found.update(ids[i])
        return found


class Typeahead:
    """Prefix suggestions over one index version's titles and headings."""

    def __init__(self, articles: Iterable[ArticleEntry]) -> None:
        by_lang: dict[str, list[_Entry]] = {}
        for article in sorted(articles, key=lambda a: (a.lang, a.title.lower(), a.slug)):
            entries = by_lang.setdefault(article.lang, [])
            entries.append(self._entry("article", article.title, article.url, article.lang))
            for _level, heading, anchor in article.toc:
                entries.append(
                    self._entry(
                        "section",
                        f"{article.title} › {heading}",
                        f"{article.url}#{anchor}",
                        article.lang,
                        heading,
                    )
                )
        self.languages = {lang: _Language(lang, entries) for lang, entries in by_lang.items()}

    @staticmethod
    def _entry(kind: str, text: str, url: str, lang: str, own: str | None = None) -> _Entry:
        """``own``: the words the entry is found by, when its text says more (a section
        is found by its own heading, not by every word of its article's title)."""
        own_words = words_of(own or text, lang)
        return _Entry(kind, text, url, " ".join(own_words), frozenset(own_words))

    def suggest(
        self,
        typed: str,
        lang: str,
        popular: Sequence[str] = (),
        limit: int = LIMIT,
    ) -> list[Suggestion]:
        """Up to ``limit`` suggestions for what was typed so far: a few popular questions
        that continue it, then titles and sections. Empty below two letters."""
        words = words_of(typed, lang)[:MAX_WORDS]
        index = self.languages.get(lang)
        if index is None or len("".join(words)) < MIN_CHARS:
            return []
        if typed[-1:].isspace():
            words.append("")  # the last word is finished: any next word
        *complete, last = words
        stop = _stop(lang)
        required = [w for w in complete if w not in stop]
        prefix = " ".join(words).strip()
        out = [
            Suggestion("query", q, "/search?" + urlencode({"q": q, "hl": lang}))
            for q in _matching(popular, words, lang)[:MAX_QUERIES]
        ]
        ids = self._candidates(index, required, last, stop)
        ranked = heapq.nsmallest(
            limit,
            ids,
            key=lambda i: (
                not index.entries[i].folded.startswith(prefix),
                index.entries[i].kind != "article",
                len(index.entries[i].text),
                i,
            ),
        )
        out += [
            Suggestion(index.entries[i].kind, index.entries[i].text, index.entries[i].url)
            for i in ranked[: limit - len(out)]
        ]
        return out

    @staticmethod
    def _candidates(
        index: _Language, required: list[str], last: str, stop: frozenset[str]
    ) -> set[int]:
        sets = [index.with_prefix(w) for w in required]
        if any(not found for found in sets):
            return set()  # only the last word may be mistyped: it is still being typed
        if last and (last not in stop or not required):
            exact = index.with_prefix(last)
            sets.append(exact or index.near_prefix(last))
        if not sets:
            return set()
        sets.sort(key=len)
        ids = set(sets[0])
        for other in sets[1:]:
            ids &= other
        return ids


def _matching(popular: Sequence[str], words: list[str], lang: str) -> list[str]:
    """Popular questions that contain every typed word as a word beginning, in order of
    popularity (the caller's), never just the typed text itself."""
    typed = " ".join(w for w in words if w)
    out = []
    for query in popular:
        theirs = _query_words(query, lang)
        if " ".join(theirs) == typed:
            continue
        if all(any(t.startswith(w) for t in theirs) for w in words if w):
            out.append(query)
    return out
