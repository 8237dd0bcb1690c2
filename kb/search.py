"""Hybrid search: dense + language-aware lexical, fused, grouped by article.

Every candidate article gets two signals from its best section: the cosine of the query
vector (multilingual-e5 by default, so Croatian is understood as well as English) and
BM25 with IDF-weighted coverage of the query's words. Articles are ranked by a weighted
sum of the two on this query's own scale (kb.fusion explains why), and the top article's
*confidence* - absolute evidence, not a rank - decides whether the search is answered.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from threading import Lock
from typing import Any

import numpy as np

from kb import language
from kb.embeddings import Embedder, as_queries
from kb.errors import QueryError, empty_query, too_long, unknown_language
from kb.fusion import Evidence, ModelProfile, label, lexical_confidence, profile_for, rrf
from kb.index import SearchIndex
from kb.lexical import Analyzer
from kb.shared_cache import SharedCache
from kb.snippets import make_snippet
from kb.text import clean_unicode, fold_diacritics
from kb.typos import corrected

CANDIDATES = 100  # sections per signal and language that reach the fusion
MODES = ("hybrid", "dense", "lexical", "rrf")


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
        out = asdict(self)
        del out["evidence"]
        return out


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "lang": self.lang,
            "answered": self.answered,
            "fallback_from": self.fallback_from,
            "corrected_query": self.corrected_query,
            "results": [h.to_dict() for h in self.hits],
        }


def normalise_query(query: str, max_chars: int) -> str:
    query = " ".join(clean_unicode(query).split())
    if not query:
        raise empty_query()
    if len(query) > max_chars:
        raise too_long(len(query), max_chars)
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
        shared: SharedCache | None = None,
    ) -> None:
        self.index = index
        self.shared = shared  # the fleet's cache of this version (KB_REDIS_URL), if any
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
        vec = self.shared.vector(query) if self.shared is not None else None
        if vec is None:
            vec = self.embedder.encode(as_queries(self.embedder, [query]))[0]
            if self.shared is not None:
                self.shared.put_vector(query, vec)
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
                raise unknown_language(lang, available)
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
        correct: bool = True,
    ) -> SearchResult:
        """Best section per article, best first. ``mode``: hybrid | dense | lexical.

        ``correct``: when the query has typos and goes unanswered, but its likeliest
        spelling is answered, return the answer to that spelling (``corrected_query``
        says which) - "showing results for"; False searches exactly what was typed.

        Results are cached per searcher, i.e. per loaded index version: a help center's
        searches repeat a lot, and a new index comes with a new searcher (empty cache).
        """
        query = normalise_query(query, self.max_query_chars)
        if not 1 <= limit <= 100:
            raise QueryError("limit must be between 1 and 100")
        key = (query, lang, limit, prefer, mode, correct)
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached
        result = self._shared_result(key)
        if result is None:
            result = self._search(query, lang, limit, prefer, mode)
            if correct and not result.answered and mode == "hybrid":
                result = self._corrected(result, lang, limit, prefer)
            if self.shared is not None:
                self.shared.put_result(
                    (*key, self.threshold_override),
                    {**result.to_dict(), "threshold": result.threshold},
                )
        with self._lock:
            self._results[key] = result
            if len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return result

    def _shared_result(self, key: tuple[Any, ...]) -> SearchResult | None:
        """A result another worker or server computed for this version, if any."""
        if self.shared is None:
            return None
        data = self.shared.result((*key, self.threshold_override))
        if data is None:
            return None
        return SearchResult(
            query=data["query"],
            lang=data["lang"],
            answered=data["answered"],
            hits=[Hit(**h) for h in data["results"]],
            threshold=data["threshold"],
            fallback_from=data["fallback_from"],
            corrected_query=data.get("corrected_query"),
        )

    def correction(self, query: str, langs: tuple[str, ...]) -> str | None:
        """The query with each word no article uses replaced by its likeliest word in
        one of ``langs`` (the language that corrects the most words)."""
        best: tuple[int, str] | None = None
        for lg in langs:
            lex = self.index.lexical.get(lg)
            found = lex.typos(query) if lex else []
            fixed = corrected(query, found)
            if fixed and (best is None or len(found) > best[0]):
                best = (len(found), fixed)
        return best[1] if best else None

    def _corrected(
        self, typed: SearchResult, lang: str | None, limit: int, prefer: str | None
    ) -> SearchResult:
        """The answer to the query's likeliest spelling, if it has one; else ``typed``."""
        langs = self.languages_for(typed.query, lang, prefer)
        fixed = self.correction(typed.query, langs)
        if fixed is None:
            return typed
        result = self._search(fixed, lang, limit, prefer or (langs[0] if langs else None), "hybrid")
        if not result.answered:
            return typed
        return replace(result, query=typed.query, corrected_query=fixed)

    @cached_property
    def profile(self) -> ModelProfile:
        return profile_for(str(self.index.manifest.get("model", {}).get("name", "")))

    def signals(self, query: str, langs: tuple[str, ...]) -> dict[tuple[str, str], ArticleSignals]:
        """Each candidate article's best section by cosine and by BM25, with both ranks.

        Candidates: the nearest sections by vector (any language, so a multilingual model
        can answer across languages) and the best BM25 sections of each asked language.
        """
        index = self.index
        qvec = self._query_vector(query)
        n = len(index.chunks)
        candidate_ids: set[int] = set()
        if n:
            k = min(CANDIDATES * max(1, len(index.languages)), n)
            _, ids = index.dense.search(qvec.reshape(1, -1), k)
            candidate_ids.update(int(i) for i in ids[0] if i >= 0)
        lexical: dict[int, tuple[float, float]] = {}  # chunk -> (BM25 relative, coverage)
        for lg in langs:
            lex = index.lexical.get(lg)
            terms = lex.analyzer.terms(query) if lex else []
            if lex is None or not terms:
                continue
            bm25, coverage = lex.score(terms, lex.typos(query))
            top = float(bm25.max()) if len(bm25) else 0.0
            if top <= 0:
                continue
            best = np.argpartition(-bm25, min(CANDIDATES, len(bm25) - 1))[:CANDIDATES]
            for i in best:
                if bm25[i] > 0:
                    lexical[int(lex.chunk_ids[i])] = (float(bm25[i]) / top, float(coverage[i]))
        candidate_ids.update(lexical)
        ordered = sorted(c for c in candidate_ids if index.chunks[c].lang in langs)
        cosines = (index.vectors[ordered] @ qvec).tolist() if ordered else []
        out: dict[tuple[str, str], ArticleSignals] = {}
        for cid, cosine in zip(ordered, cosines, strict=True):
            key = index.chunk_article[cid]
            sig = out.get(key)
            if sig is None:
                sig = out[key] = ArticleSignals(key)
            if cosine > sig.cosine:
                sig.cosine, sig.dense_cid = cosine, cid
            rel, cov = lexical.get(cid, (0.0, 0.0))
            if rel > sig.bm25:
                sig.bm25, sig.coverage, sig.lexical_cid = rel, cov, cid
        by_dense = sorted(out.values(), key=lambda a: (-a.cosine, a.key))
        for rank, sig in enumerate(by_dense, 1):
            sig.dense_rank = rank
        by_lexical = sorted((a for a in out.values() if a.bm25 > 0), key=lambda a: (-a.bm25, a.key))
        for rank, sig in enumerate(by_lexical, 1):
            sig.lexical_rank = rank
        return out

    def _search(
        self,
        query: str,
        lang: str | None,
        limit: int,
        prefer: str | None,
        mode: str,
        foreign: str | None = None,
    ) -> SearchResult:
        """``foreign``: the query's own language, when the articles searched are in
        another: only meaning counts as evidence then (its words cannot be expected
        there), judged by the query language's own scale and threshold."""
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}")
        langs = self.languages_for(query, lang, prefer)
        candidates = self.signals(query, langs)
        cosines = [s.cosine for s in candidates.values()]
        low, high = (min(cosines), max(cosines)) if cosines else (0.0, 1.0)
        dense_weight, lexical_weight = self.profile.rank_weights

        def rank_score(sig: ArticleSignals) -> float:
            if mode == "dense":
                return sig.cosine
            if mode == "lexical":
                return sig.bm25
            if mode == "rrf":
                return rrf([sig.dense_rank, sig.lexical_rank], [1.0, 1.0])
            # the cosine spread within this query's candidates: 0 the farthest, 1 the nearest
            dense = (sig.cosine - low) / (high - low) if high > low else 1.0
            return dense_weight * dense + lexical_weight * sig.bm25

        pool = [s for s in candidates.values() if mode != "lexical" or s.bm25 > 0]
        ranked = sorted(pool, key=lambda s: (-rank_score(s), s.key))[:limit]
        query_terms = {
            lg: lex.highlight_terms(lex.analyzer.terms(query))
            | {term for typo in lex.typos(query) for term, _ in typo.terms}
            for lg, lex in self.index.lexical.items()
            if lg in langs
        }
        unknown = {lg: self._unknown_share(query, lg) for lg in langs}
        top_two = sorted(cosines, reverse=True)[:2]

        def rival(sig: ArticleSignals) -> float:
            """The nearest other article's cosine (its own, for a lone candidate)."""
            if len(top_two) < 2:
                return sig.cosine
            return top_two[1] if sig.cosine >= top_two[0] else top_two[0]

        hits = [
            self._hit(
                sig,
                rank_score(sig),
                mode,
                query_terms,
                foreign,
                unknown.get(sig.key[0], 0.0),
                rival(sig),
            )
            for sig in ranked
        ]
        top_lang = hits[0].lang if hits else (langs[0] if langs else "default")
        threshold = self._threshold(
            foreign or top_lang, bool(foreign) or mode in ("dense", "lexical")
        )
        answered = bool(hits) and hits[0].confidence_score >= threshold
        result = SearchResult(
            query, langs[0] if len(langs) == 1 else None, answered, hits, threshold
        )
        others = tuple(lg for lg in self.index.languages if lg not in langs)
        if not answered and lang is None and len(langs) == 1 and others and mode == "hybrid":
            # nothing in the visitor's language: offer another language's answer, found by
            # meaning (the multilingual vectors) and by the words the languages share;
            # the asked language's function words mean nothing in the other language
            stop = language.STOPWORDS.get(langs[0], frozenset())
            content = " ".join(
                w for w in query.split() if fold_diacritics(w.lower().strip("?!.,")) not in stop
            )
            other = self._search_in(content or query, others, limit, mode, langs[0])
            if other.answered and not self._has_translation(other.hits[0], langs[0]):
                return SearchResult(
                    query, other.lang, True, other.hits, other.threshold, fallback_from=langs[0]
                )
        return result

    def _threshold(self, lang: str, one_signal: bool = False) -> float:
        """The threshold `kb calibrate` recorded with the index, else the model's default
        (the thresholds a build records are the defaults of its day: not used).
        ``one_signal``: for one signal alone (an answer in another language, found by
        meaning; the dense or lexical mode)."""
        if one_signal:
            single = self.profile.signal_thresholds
            return float(single.get(lang, single["default"]))
        if self.threshold_override is not None:
            return self.threshold_override
        recorded = self._calibrated
        if lang in recorded:
            return recorded[lang]
        defaults = self.profile.thresholds
        return float(defaults.get(lang, recorded.get("default", defaults["default"])))

    @cached_property
    def _calibrated(self) -> dict[str, float]:
        return self.profile.current_calibration(self.index.manifest)

    def _has_translation(self, hit: Hit, lang: str) -> bool:
        """Whether the article exists in ``lang`` too: then the visitor's own language was
        only less sure, and answering with the translation would hide the article."""
        key = self.index.articles[(hit.lang, hit.slug)].translation_key
        return bool(key) and (lang, key) in self._translation_keys

    @cached_property
    def _translation_keys(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (a.lang, a.translation_key) for a in self.index.articles.values() if a.translation_key
        )

    def _search_in(
        self, query: str, langs: tuple[str, ...], limit: int, mode: str, asked: str
    ) -> SearchResult:
        results = [self._search(query, lg, limit, None, mode, foreign=asked) for lg in langs]
        return max(results, key=lambda r: r.hits[0].confidence_score if r.hits else 0.0)

    def _unknown_share(self, query: str, lang: str) -> float:
        lex = self.index.lexical.get(lang)
        if lex is None:
            return 1.0
        return lex.unknown_share(lex.analyzer.terms(query), lex.typos(query))

    def _heading_match(self, cid: int, terms: set[str]) -> float:
        """Share of the chunk's own heading words that the query (or a synonym) used."""
        if not terms:
            return 0.0
        heading = self.index.heading_terms[cid]
        return len(heading & terms) / len(heading) if heading else 0.0

    def _hit(
        self,
        sig: ArticleSignals,
        score: float,
        mode: str,
        terms: dict[str, set[str]],
        foreign: str | None = None,
        unknown: float = 0.0,
        rival: float | None = None,
    ) -> Hit:
        """``unknown``: share of the query's IDF mass its language's articles never use;
        ``rival``: the cosine of the nearest other candidate article."""
        lang, slug = sig.key
        confidence = self.profile.confidence_for(foreign or lang)
        dense = confidence.dense_signal(sig.cosine)
        lexical = lexical_confidence(sig.coverage, sig.bm25)
        # the section shown: the one whose own heading matches, else the lexical one when
        # it carries the query's words, else the nearest by meaning
        cid = sig.dense_cid
        heading = 0.0
        if sig.lexical_cid >= 0 and mode != "dense":
            heading = self._heading_match(sig.lexical_cid, terms.get(lang, set()))
            if mode == "lexical" or heading > 0 or sig.coverage >= 0.999 or cid < 0:
                cid = sig.lexical_cid
        evidence = None
        if mode == "dense" or foreign:
            sure = dense
        elif mode == "lexical":
            sure = lexical
        else:
            evidence = Evidence(
                cosine=sig.cosine,
                lexical=lexical,
                heading=heading if lexical > 0 else 0.0,
                unknown=unknown,
                margin=sig.cosine - (sig.cosine if rival is None else rival),
            )
            sure = confidence.judge(evidence)
        one_signal = bool(foreign) or mode in ("dense", "lexical")
        threshold = self._threshold(foreign or lang, one_signal)
        chunk = self.index.chunks[cid]
        article = self.index.articles[(lang, slug)]
        plain, marked = make_snippet(
            chunk.text or article.description, terms.get(lang, set()), Analyzer(lang)
        )
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
            confidence=label(
                sure, threshold, None if one_signal else self.profile.strong.get(lang)
            ),
            dense=round(dense, 4),
            lexical=round(lexical, 4),
            confidence_score=round(sure, 4),
            evidence=evidence,
        )
