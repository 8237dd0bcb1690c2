"""What "the same question" means: the one place gap topics are grouped.

Two questions are one topic when, on average, they are near in meaning (the index's own
embedder, rescaled by the model's question-to-question range per language: e5 puts
unrelated Croatian questions at 0.82-0.90) and share content words. A better model
changes the groups and nothing else.
"""

from __future__ import annotations

import numpy as np

from kb.models.embeddings import Embedder, as_queries
from kb.search.fusion import profile_for
from kb.search.lexical import Analyzer
from kb.search.searcher import Searcher

SIMILARITY = 0.5  # average-linkage cut; measured on tests/web/test_admin.py's mix


def similarity_matrix(
    texts: list[str], lang: str, embedder: Embedder, searcher: Searcher | None = None
) -> np.ndarray:
    """Pairwise similarity with search's own evidence and per-language weights."""
    profile = profile_for(getattr(embedder, "name", ""))
    fusion = profile.confidence_for(lang)
    floor, ceiling = profile.paraphrase_range(lang)
    vectors = embedder.encode(as_queries(embedder, texts))
    cos = vectors @ vectors.T
    dense = np.clip((cos - floor) / (ceiling - floor), 0, 1)
    lex = searcher.index.lexical.get(lang) if searcher else None
    analyzer = Analyzer(lang)
    term_sets = []
    for text in texts:
        terms = analyzer.terms(text)
        term_sets.append(lex.highlight_terms(terms) if lex else set(terms))
    n = len(texts)
    jaccard = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(i, n):
            a, b = term_sets[i], term_sets[j]
            value = len(a & b) / len(a | b) if a and b else 0.0
            jaccard[i, j] = jaccard[j, i] = value
    return fusion.dense_weight * dense + fusion.lexical_weight * jaccard


def cluster(texts: list[str], similarity: np.ndarray, threshold: float = SIMILARITY) -> list[int]:
    """Average-linkage clusters: every member is, on average, similar to its group."""
    if len(texts) == 1:
        return [0]
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    # imported here: scipy.cluster costs ~0.4 s of every server start otherwise
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    tree = linkage(squareform(distance, checks=False), method="average")
    return [int(label) - 1 for label in fcluster(tree, t=1.0 - threshold, criterion="distance")]


def group_queries(
    texts: list[str], lang: str, embedder: Embedder, searcher: Searcher | None = None
) -> list[int]:
    """A group label per query: queries asking the same thing share one. The one place
    that decides what "the same" means (vectors of the index's embedder plus the lexical
    side's terms), so a better model changes the groups and nothing else."""
    return cluster(texts, similarity_matrix(texts, lang, embedder, searcher))
