"""Hybrid search: dense + language-aware lexical, fused, grouped by article.

Fusion is a weighted sum of two *absolute* signals, per language:

* dense: cosine similarity, rescaled between a floor (unrelated text) and a ceiling;
* lexical: the IDF-weighted share of query terms a chunk contains, scaled by its BM25
  rank within the query.

Both stay meaningful when nothing matches, so the fused score doubles as the confidence
behind the answered / not-answered decision. The English-only default model sees all
Croatian text as alike, so Croatian leans on the lexical side.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass
from functools import cached_property
from threading import Lock
from typing import Any

import numpy as np

from kb import language
from kb.embeddings import Embedder
from kb.errors import QueryError
from kb.index import SearchIndex
from kb.lexical import Analyzer
from kb.snippets import make_snippet
from kb.text import clean_unicode, fold_diacritics


@dataclass(frozen=True)
class Fusion:
    dense_weight: float
    lexical_weight: float
    dense_floor: float  # cosine of unrelated text in this language
    dense_ceiling: float  # cosine of a clearly matching section

    def dense_signal(self, cosine: float) -> float:
        """Cosine rescaled so unrelated text is 0 and a clear match is 1."""
        scaled = (cosine - self.dense_floor) / (self.dense_ceiling - self.dense_floor)
        return min(1.0, max(0.0, scaled))

    def combine(
        self, dense: float, coverage: float, bm25_relative: float, heading_match: float = 0.0
    ) -> tuple[float, float]:
        """(ranking score, confidence) of one section. The heading bonus needs a query
        word in the section: a heading alone does not make an answer."""
        bonus = HEADING_BONUS * heading_match if coverage > 0 else 0.0
        wd, wl = self.dense_weight, self.lexical_weight
        score = min(1.0, wd * dense + wl * lexical_rank(coverage, bm25_relative) + bonus)
        confidence = min(1.0, wd * dense + wl * lexical_confidence(coverage, bm25_relative) + bonus)
        return score, confidence


FUSION: dict[str, Fusion] = {
    # Measured on tests/golden (see docs/search-quality.md): the English model carries
    # English; Croatian needs the lexical half as much as the dense one.
    "en": Fusion(0.8, 0.2, 0.15, 0.65),
    "hr": Fusion(0.5, 0.5, 0.35, 0.80),
}
DEFAULT_FUSION = Fusion(0.5, 0.5, 0.2, 0.7)
# Calibrated on tests/golden (demo-must + demo answered, offtopic not): see docs/search-quality.md.
DEFAULT_THRESHOLDS: dict[str, float] = {"en": 0.52, "hr": 0.42, "default": 0.45}
STRONG_MARGIN = 0.15
HEADING_BONUS = 0.1  # a section whose own heading says what was asked beats its neighbours
CANDIDATES = 100
RANK_BM25_SHARE = 0.5  # ranking: half coverage, half BM25 rank (+5 nDCG points on m365-hr)
CONFIDENCE_BM25_SHARE = 0.3  # confidence: coverage first, so "nothing matches" stays ~0


def lexical_rank(coverage: float, bm25_relative: float) -> float:
    """Orders matches: how much of the query a section has, and how strongly (BM25)."""
    return (1 - RANK_BM25_SHARE) * coverage + RANK_BM25_SHARE * bm25_relative


def lexical_confidence(coverage: float, bm25_relative: float) -> float:
    """Absolute evidence: zero when no query word matches, whatever BM25's ranks say."""
    return coverage * ((1 - CONFIDENCE_BM25_SHARE) + CONFIDENCE_BM25_SHARE * bm25_relative)


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchResult:
    query: str
    lang: str | None
    answered: bool
    hits: list[Hit]
    threshold: float
    fallback_from: str | None = None  # the asked language had no answer; these are another's

    @cached_property
    def json(self) -> bytes:
        """The HTTP API's body, serialised once: a cached result is served many times."""
        return json.dumps(
            self.to_dict(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "lang": self.lang,
            "answered": self.answered,
            "fallback_from": self.fallback_from,
            "results": [h.to_dict() for h in self.hits],
        }


def normalise_query(query: str, max_chars: int) -> str:
    query = " ".join(clean_unicode(query).split())
    if not query:
        raise QueryError("the query is empty: type a few words about what you need")
    if len(query) > max_chars:
        raise QueryError(f"the query is too long ({len(query)} characters; at most {max_chars})")
    return query


class Searcher:
    """Answers queries against one loaded index; thread-safe, with a query-vector cache."""

    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        *,
        threshold_override: float | None = None,
        max_query_chars: int = 500,
        cache_size: int = 1024,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.threshold_override = threshold_override
        self.max_query_chars = max_query_chars
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._results: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def _query_vector(self, query: str) -> np.ndarray:
        with self._lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                return vec
        prefix = getattr(self.embedder, "query_prefix", "")
        vec = self.embedder.encode([prefix + query])[0]
        with self._lock:
            self._cache[query] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec

    def languages_for(
        self, query: str, lang: str | None, prefer: str | None = None
    ) -> tuple[str, ...]:
        """The strict language if given; else the query's language when it can be told
        (function words, letters, then which language's vocabulary knows its words);
        else the preferred (page) language; else all."""
        available = self.index.languages
        if lang:
            lang = lang.strip().lower()
            if lang not in available:
                raise QueryError(
                    f"no articles in language {lang!r}; available: {', '.join(available)}"
                )
            return (lang,)
        if len(available) <= 1:
            return available
        detected = language.detect(query, available)
        if detected:
            return (detected,)
        known = {
            lg: sum(1 for t in set(lex.analyzer.terms(query)) if t in lex.df)
            for lg, lex in self.index.lexical.items()
        }
        ranked = sorted(known.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return (ranked[0][0],)
        if prefer in available:
            return (prefer,) if prefer else available
        return available

    def search(
        self,
        query: str,
        lang: str | None = None,
        limit: int = 10,
        *,
        prefer: str | None = None,
        mode: str = "hybrid",
    ) -> SearchResult:
        """Best section per article, best first. ``mode``: hybrid | dense | lexical.

        Results are cached per searcher, i.e. per loaded index version: a help center's
        searches repeat a lot, and a new index comes with a new searcher (empty cache).
        """
        query = normalise_query(query, self.max_query_chars)
        if not 1 <= limit <= 100:
            raise QueryError("limit must be between 1 and 100")
        key = (query, lang, limit, prefer, mode)
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached
        result = self._search(query, lang, limit, prefer, mode)
        with self._lock:
            self._results[key] = result
            if len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return result

    def _search(
        self, query: str, lang: str | None, limit: int, prefer: str | None, mode: str
    ) -> SearchResult:
        langs = self.languages_for(query, lang, prefer)
        index = self.index
        qvec = self._query_vector(query)
        n = len(index.chunks)
        candidate_ids: set[int] = set()
        if n:
            k = min(CANDIDATES * max(1, len(index.languages)), n)
            _, ids = index.dense.search(qvec.reshape(1, -1), k)
            candidate_ids.update(int(i) for i in ids[0] if i >= 0)
        scored: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        query_terms: dict[str, set[str]] = {lg: set() for lg in langs}
        for lg in langs:
            lex = index.lexical.get(lg)
            if lex is None:
                continue
            terms = lex.analyzer.terms(query)
            query_terms[lg] = lex.highlight_terms(terms)
            if not terms:
                continue
            bm25, coverage = lex.score(terms)
            top = float(bm25.max()) if len(bm25) else 0.0
            if top <= 0:
                continue
            best_local = np.argpartition(-bm25, min(CANDIDATES, len(bm25) - 1))[:CANDIDATES]
            candidate_ids.update(int(lex.chunk_ids[i]) for i in best_local if bm25[i] > 0)
            scored[lg] = (bm25, coverage, top)
        # coverage and BM25 rank of the candidates only: a common word covers thousands
        lexical_part: dict[int, tuple[float, float]] = {}
        for cid in candidate_ids:
            chunk_lang = index.chunks[cid].lang
            if chunk_lang not in scored:
                continue
            bm25, coverage, top = scored[chunk_lang]
            local = index.lexical_position[cid]
            if coverage[local]:
                lexical_part[cid] = (float(coverage[local]), float(bm25[local]) / top)
        # exact cosine for the candidates only (the dense index found its share of them)
        ordered = sorted(candidate_ids)
        cosines = dict(zip(ordered, (index.vectors[ordered] @ qvec).tolist(), strict=True))
        best: dict[tuple[str, str], tuple[float, int, float, float, float]] = {}
        for cid in candidate_ids:
            chunk = index.chunks[cid]
            if chunk.lang not in langs:
                continue
            fusion = FUSION.get(chunk.lang, DEFAULT_FUSION)
            dense = fusion.dense_signal(cosines[cid])
            cov, rel = lexical_part.get(cid, (0.0, 0.0))
            lexical = lexical_confidence(cov, rel)
            if mode == "dense":
                score = confidence = dense
            elif mode == "lexical":
                score, confidence = rel, lexical
            else:
                heading = 0.0
                if cov > 0 and chunk.section_id:
                    heading = self._heading_match(cid, query_terms[chunk.lang])
                score, confidence = fusion.combine(dense, cov, rel, heading)
            key = index.chunk_article[cid]
            if key not in best or score > best[key][0]:
                best[key] = (score, cid, dense, lexical, confidence)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        top_lang = ranked[0][0][0] if ranked else (langs[0] if langs else "default")
        threshold = index.answer_threshold(top_lang, self.threshold_override)
        hits = [
            self._hit(
                lg,
                slug,
                cid,
                score,
                dense,
                lexical,
                confidence,
                threshold,
                query_terms.get(lg, set()),
            )
            for (lg, slug), (score, cid, dense, lexical, confidence) in ranked
        ]
        answered = bool(hits) and hits[0].confidence_score >= threshold
        result = SearchResult(
            query, langs[0] if len(langs) == 1 else None, answered, hits, threshold
        )
        others = tuple(lg for lg in index.languages if lg not in langs)
        if not answered and lang is None and len(langs) == 1 and others and mode == "hybrid":
            # nothing in the visitor's language: say so and offer another language's answer
            # the asked language's function words mean nothing in the other language
            stop = language.STOPWORDS.get(langs[0], frozenset())
            content = " ".join(
                w for w in query.split() if fold_diacritics(w.lower().strip("?!.,")) not in stop
            )
            other = self._search_in(content or query, others, limit, mode)
            if other.answered:
                return SearchResult(
                    query, other.lang, True, other.hits, other.threshold, fallback_from=langs[0]
                )
        return result

    def _search_in(self, query: str, langs: tuple[str, ...], limit: int, mode: str) -> SearchResult:
        results = [self.search(query, lg, limit, mode=mode) for lg in langs]
        return max(results, key=lambda r: r.hits[0].confidence_score if r.hits else 0.0)

    def _heading_match(self, cid: int, terms: set[str]) -> float:
        """Share of the chunk's own heading words that the query (or a synonym) used."""
        if not terms:
            return 0.0
        heading = self.index.heading_terms[cid]
        return len(heading & terms) / len(heading) if heading else 0.0

    def _hit(
        self,
        lang: str,
        slug: str,
        cid: int,
        score: float,
        dense: float,
        lexical: float,
        confidence: float,
        threshold: float,
        terms: set[str],
    ) -> Hit:
        chunk = self.index.chunks[cid]
        article = self.index.articles[(lang, slug)]
        plain, marked = make_snippet(chunk.text or article.description, terms, Analyzer(lang))
        url = article.url + (f"#{chunk.section_id}" if chunk.section_id else "")
        return Hit(
            slug=slug,
            lang=lang,
            title=article.title,
            url=url,
            section=chunk.heading if chunk.section_id else None,
            snippet=plain,
            score=round(score, 4),
            section_id=chunk.section_id,
            snippet_html=marked,
            confidence=_label(confidence, threshold),
            dense=round(dense, 4),
            lexical=round(lexical, 4),
            confidence_score=round(confidence, 4),
        )


def _label(score: float, threshold: float) -> str:
    if score >= threshold + STRONG_MARGIN:
        return "strong"
    if score >= threshold:
        return "partial"
    return "weak"
