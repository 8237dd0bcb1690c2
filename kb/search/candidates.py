"""Which languages and sections reach the fusion, and each candidate article's evidence from them.

Candidates are the nearest sections by vector (any language, so a multilingual model can
answer across languages) and the best BM25 sections of each asked language; an article
is represented by its best section by each signal, with its rank by each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kb import language
from kb.errors import unknown_language
from kb.search.index import SearchIndex
from kb.search.lexical import LexicalIndex
from kb.search.results import ArticleSignals
from kb.search.typos import Typo

CANDIDATES = 100  # sections per signal and language that reach the fusion


def query_languages(
    index: SearchIndex, query: str, lang: str | None, prefer: str | None = None
) -> tuple[str, ...]:
    """The strict language if given; else the query's language when it can be told
    (function words, letters, then which language's vocabulary knows its words);
    else the preferred (page) language; else all."""
    available = index.languages
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
        for lg, lex in index.lexical.items()
    }
    ranked = sorted(known.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return (ranked[0][0],)
    if prefer in available:
        return (prefer,) if prefer else available
    return available


def lexical_sections(
    index: SearchIndex,
    query: str,
    langs: tuple[str, ...],
    typos: Callable[[LexicalIndex, str], list[Typo]],
) -> dict[int, tuple[float, float]]:
    """Section id -> (BM25 relative to the query's best section, IDF-weighted coverage)
    for the best BM25 sections of each asked language."""
    lexical: dict[int, tuple[float, float]] = {}
    for lg in langs:
        lex = index.lexical.get(lg)
        terms = lex.analyzer.terms(query) if lex else []
        if lex is None or not terms:
            continue
        bm25, coverage = lex.score(terms, typos(lex, query))
        top = float(bm25.max()) if len(bm25) else 0.0
        if top <= 0:
            continue
        best = np.argpartition(-bm25, min(CANDIDATES, len(bm25) - 1))[:CANDIDATES]
        best = best[bm25[best] > 0]
        # in float64, as the Python floats they were taken one by one before
        relative = (bm25[best].astype(np.float64) / top).tolist()
        covered = coverage[best].astype(np.float64).tolist()
        pairs = zip(relative, covered, strict=True)
        lexical.update(zip(lex.chunk_ids[best].tolist(), pairs, strict=True))
    return lexical


def article_signals(
    index: SearchIndex,
    qvec: np.ndarray,
    lexical: dict[int, tuple[float, float]],
    langs: tuple[str, ...],
) -> dict[tuple[str, str], ArticleSignals]:
    """Each candidate article (of ``langs``) with its best section by each signal."""
    candidate_ids: set[int] = set(lexical)
    n = len(index.chunks)
    if n:
        k = min(CANDIDATES * max(1, len(index.languages)), n)
        _, ids = index.dense.search(qvec.reshape(1, -1), k)
        candidate_ids.update(int(i) for i in ids[0] if i >= 0)
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
    _rank(out)
    return out


def _rank(signals: dict[tuple[str, str], ArticleSignals]) -> None:
    by_dense = sorted(signals.values(), key=lambda a: (-a.cosine, a.key))
    for rank, sig in enumerate(by_dense, 1):
        sig.dense_rank = rank
    with_words = (a for a in signals.values() if a.bm25 > 0)
    for rank, sig in enumerate(sorted(with_words, key=lambda a: (-a.bm25, a.key)), 1):
        sig.lexical_rank = rank
