"""What a search returns: the candidate articles' signals, the hits and the result.

Kept apart from the searcher so pages, the API, agent assist and reports can name these
types without loading the search machinery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from kb.search.fusion import Evidence


@dataclass
class ArticleSignals:
    """One candidate article's evidence: its best section by each signal."""

    key: tuple[str, str]
    cosine: float = -1.0
    dense_cid: int = -1
    bm25: float = 0.0  # relative to the query's best section in that language
    coverage: float = 0.0
    lexical_cid: int = -1
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True)
class Hit:
    slug: str
    lang: str
    title: str
    url: str
    section: str | None
    snippet: str
    score: float
    section_id: str | None
    snippet_html: str
    confidence: str  # strong | partial | weak
    dense: float
    lexical: float
    confidence_score: float  # absolute evidence, compared with the answer threshold
    evidence: Evidence | None = None  # what the confidence was computed from (not served)

    def to_dict(self) -> dict[str, Any]:
        # the fields read one by one: asdict() deep-copies every value (and the evidence,
        # then dropped), ~0.16 ms for a search's ten hits; the values are all immutable
        return {name: getattr(self, name) for name in _SERVED}


# a hit's fields as served, in their declared order (the JSON's key order)
_SERVED = tuple(f.name for f in fields(Hit) if f.name != "evidence")


@dataclass(frozen=True)
class SearchResult:
    query: str
    lang: str | None
    answered: bool
    hits: list[Hit]
    threshold: float
    fallback_from: str | None = None  # the asked language had no answer; these are another's
    corrected_query: str | None = None  # these hits answer this spelling, not the typed one

    @cached_property
    def json(self) -> bytes:
        """The HTTP API's body, serialised once: a cached result is served many times."""
        return json.dumps(
            self.to_dict(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")

    def to_cache(self) -> dict[str, Any]:
        """What another worker needs to serve this result (:meth:`from_dict`)."""
        return {**self.to_dict(), "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchResult:
        return cls(
            query=data["query"],
            lang=data["lang"],
            answered=data["answered"],
            hits=[Hit(**h) for h in data["results"]],
            threshold=data["threshold"],
            fallback_from=data["fallback_from"],
            corrected_query=data.get("corrected_query"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "lang": self.lang,
            "answered": self.answered,
            "fallback_from": self.fallback_from,
            "corrected_query": self.corrected_query,
            "results": [h.to_dict() for h in self.hits],
        }
