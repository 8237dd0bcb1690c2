"""Hybrid search: dense + language-aware lexical, fused, grouped by article.

Every candidate article gets two signals from its best section: the cosine of the query
vector (multilingual-e5 by default, so Croatian is understood as well as English) and
BM25 with IDF-weighted coverage of the query's words. Articles are ranked by a weighted
sum of the two on this query's own scale (kb.search.fusion explains why), and the top article's
*confidence* - absolute evidence, not a rank - decides whether the search is answered.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from kb import language
from kb.errors import QueryError, empty_query, too_long
from kb.models.embeddings import Embedder, as_queries, embedder_for
from kb.search.candidates import article_signals, lexical_sections, query_languages
from kb.search.fusion import Evidence, ModelProfile, label, lexical_confidence, profile_for
from kb.search.index import SearchIndex
from kb.search.lexical import Analyzer, LexicalIndex
from kb.search.ranking import Ranking
from kb.search.results import ArticleSignals, Hit, SearchResult
from kb.search.shared_cache import SharedCache
from kb.search.snippets import make_snippet
from kb.search.typos import Typo, corrected
from kb.settings import Settings
from kb.text import clean_unicode, fold_diacritics

MODES = ("hybrid", "dense", "lexical", "rrf")


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
        typo_tolerance: bool = True,
    ) -> None:
        self.index = index
        # off (KB_TYPO_TOLERANCE=false): query words are matched only as typed, and no
        # "did you mean"; the operator's switch, and the "before" of every typo measurement
        self.typo_tolerance = typo_tolerance
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
        """The article languages a query searches (:func:`query_languages`)."""
        return query_languages(self.index, query, lang, prefer)

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
                self.shared.put_result((*key, *self._shared_key), result.to_cache())
        with self._lock:
            self._results[key] = result
            if len(self._results) > self._cache_size:
                self._results.popitem(last=False)
        return result

    def _shared_result(self, key: tuple[Any, ...]) -> SearchResult | None:
        """A result another worker or server computed for this version, if any."""
        if self.shared is None:
            return None
        data = self.shared.result((*key, *self._shared_key))
        if data is None:
            return None
        return SearchResult.from_dict(data)

    @property
    def _shared_key(self) -> tuple[Any, ...]:
        """What besides the request decides a result: servers sharing a cache but set up
        differently must not hand each other their answers."""
        exact = () if self.typo_tolerance else ("exact",)
        return (self.threshold_override, *exact)

    def typos(self, lex: LexicalIndex | None, query: str) -> list[Typo]:
        """The query's unknown words and what they may stand for in ``lex``'s language;
        none when typo tolerance is off."""
        if lex is None or not self.typo_tolerance:
            return []
        return lex.typos(query)

    def correction(self, query: str, langs: tuple[str, ...]) -> str | None:
        """The query with each word no article uses replaced by its likeliest word in
        one of ``langs`` (the language that corrects the most words)."""
        best: tuple[int, str] | None = None
        for lg in langs:
            lex = self.index.lexical.get(lg)
            found = self.typos(lex, query)
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
        """Each candidate article's best section by cosine and by BM25, with both ranks."""
        lexical = lexical_sections(self.index, query, langs, self.typos)
        return article_signals(self.index, self._query_vector(query), lexical, langs)

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
        ranking = Ranking.of(list(candidates.values()), mode, self.profile.rank_weights)
        pool = [s for s in candidates.values() if mode != "lexical" or s.bm25 > 0]
        ranked = sorted(pool, key=lambda s: (-ranking.score(s), s.key))[:limit]
        terms = {
            lg: lex.highlight_terms(lex.analyzer.terms(query))
            | {term for typo in self.typos(lex, query) for term, _ in typo.terms}
            for lg, lex in self.index.lexical.items()
            if lg in langs
        }
        unknown = {lg: self._unknown_share(query, lg) for lg in langs}
        hits = [
            self._hit(sig, ranking, terms, foreign, unknown.get(sig.key[0], 0.0)) for sig in ranked
        ]
        top_lang = hits[0].lang if hits else (langs[0] if langs else "default")
        one_signal = bool(foreign) or mode in ("dense", "lexical")
        threshold = self._threshold(foreign or top_lang, one_signal)
        answered = bool(hits) and hits[0].confidence_score >= threshold
        result = SearchResult(
            query, langs[0] if len(langs) == 1 else None, answered, hits, threshold
        )
        if not answered and lang is None and len(langs) == 1 and mode == "hybrid":
            return self._in_another_language(query, langs[0], limit) or result
        return result

    def _in_another_language(self, query: str, asked: str, limit: int) -> SearchResult | None:
        """Nothing in the visitor's language: another language's answer, found by meaning
        (the multilingual vectors) and by the words the languages share; the asked
        language's function words mean nothing in the other language. None when no other
        language answers, or the answer has an ``asked`` translation that was less sure."""
        others = tuple(lg for lg in self.index.languages if lg != asked)
        if not others:
            return None
        stop = language.STOPWORDS.get(asked, frozenset())
        content = " ".join(
            w for w in query.split() if fold_diacritics(w.lower().strip("?!.,")) not in stop
        )
        other = self._search_in(content or query, others, limit, "hybrid", asked)
        if not other.answered or self._has_translation(other.hits[0], asked):
            return None
        return SearchResult(
            query, other.lang, True, other.hits, other.threshold, fallback_from=asked
        )

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
        return lex.unknown_share(lex.analyzer.terms(query), self.typos(lex, query))

    def _heading_match(self, cid: int, terms: set[str]) -> float:
        """Share of the chunk's own heading words that the query (or a synonym) used."""
        if not terms:
            return 0.0
        heading = self.index.heading_terms[cid]
        return len(heading & terms) / len(heading) if heading else 0.0

    def _hit(
        self,
        sig: ArticleSignals,
        ranking: Ranking,
        terms: dict[str, set[str]],
        foreign: str | None = None,
        unknown: float = 0.0,
    ) -> Hit:
        """``unknown``: share of the query's IDF mass its language's articles never use."""
        lang, slug = sig.key
        mode = ranking.mode
        cid, heading = self._shown_section(sig, mode, terms.get(lang, set()))
        confidence = self.profile.confidence_for(foreign or lang)
        dense = confidence.dense_signal(sig.cosine)
        lexical = lexical_confidence(sig.coverage, sig.bm25)
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
                margin=sig.cosine - ranking.rival(sig),
            )
            sure = confidence.judge(evidence)
        one_signal = bool(foreign) or mode in ("dense", "lexical")
        strong = None if one_signal else self.profile.strong.get(lang)
        chunk = self.index.chunks[cid]
        article = self.index.articles[(lang, slug)]
        plain, marked = make_snippet(
            chunk.text or article.description, terms.get(lang, set()), Analyzer(lang)
        )
        return Hit(
            slug=slug,
            lang=lang,
            title=article.title,
            url=article.url + (f"#{chunk.section_id}" if chunk.section_id else ""),
            section=chunk.heading if chunk.section_id else None,
            snippet=plain,
            score=round(ranking.score(sig), 4),
            section_id=chunk.section_id,
            snippet_html=marked,
            confidence=label(sure, self._threshold(foreign or lang, one_signal), strong),
            dense=round(dense, 4),
            lexical=round(lexical, 4),
            confidence_score=round(sure, 4),
            evidence=evidence,
        )

    def _shown_section(self, sig: ArticleSignals, mode: str, terms: set[str]) -> tuple[int, float]:
        """The section shown, and how much of its heading the query used: the one whose
        own heading matches, else the lexical one when it carries the query's words,
        else the nearest by meaning."""
        cid = sig.dense_cid
        heading = 0.0
        if sig.lexical_cid >= 0 and mode != "dense":
            heading = self._heading_match(sig.lexical_cid, terms)
            if mode == "lexical" or heading > 0 or sig.coverage >= 0.999 or cid < 0:
                cid = sig.lexical_cid
        return cid, heading


def configured_searcher(
    index: SearchIndex, embedder: Embedder, settings: Settings, shared: SharedCache | None = None
) -> Searcher:
    """A searcher over ``index`` with the configured threshold, query limit and typo
    tolerance: the one mapping from settings, for the site and every command."""
    return Searcher(
        index,
        embedder,
        threshold_override=settings.answer_threshold,
        max_query_chars=settings.max_query_chars,
        shared=shared,
        typo_tolerance=settings.typo_tolerance,
    )


def open_searcher(settings: Settings, index_dir: Path | None = None) -> Searcher:
    """A searcher over the published index in ``index_dir`` (default: the configured one)
    with the configured model: how every command opens one."""
    embedder = embedder_for(settings)
    index = SearchIndex.load(index_dir or settings.index_dir, embedder.fingerprint)
    return configured_searcher(index, embedder, settings)
