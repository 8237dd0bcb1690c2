"""How one query orders its candidate articles: each signal on this query's own scale.

Ranking only needs an order among one query's candidates, so the cosine is min-max scaled
over them and BM25 is already relative to the best section (kb.search.fusion explains the
weights). The other modes rank by one signal, or by plain reciprocal-rank fusion: the
baselines `kb eval` sets beside the hybrid.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.search.fusion import rrf
from kb.search.results import ArticleSignals


@dataclass(frozen=True)
class Ranking:
    mode: str  # hybrid | dense | lexical | rrf
    weights: tuple[float, float]  # (dense, lexical) in the hybrid sum
    low: float  # the farthest candidate's cosine
    high: float  # the nearest candidate's cosine
    top_two: tuple[float, ...]  # the two highest cosines

    @classmethod
    def of(
        cls, candidates: list[ArticleSignals], mode: str, weights: tuple[float, float]
    ) -> Ranking:
        cosines = [s.cosine for s in candidates]
        low, high = (min(cosines), max(cosines)) if cosines else (0.0, 1.0)
        return cls(mode, weights, low, high, tuple(sorted(cosines, reverse=True)[:2]))

    def score(self, sig: ArticleSignals) -> float:
        if self.mode == "dense":
            return sig.cosine
        if self.mode == "lexical":
            return sig.bm25
        if self.mode == "rrf":
            return rrf([sig.dense_rank, sig.lexical_rank], [1.0, 1.0])
        # the cosine spread within this query's candidates: 0 the farthest, 1 the nearest
        spread = self.high - self.low
        dense = (sig.cosine - self.low) / spread if spread > 0 else 1.0
        return self.weights[0] * dense + self.weights[1] * sig.bm25

    def rival(self, sig: ArticleSignals) -> float:
        """The nearest other article's cosine (its own, for a lone candidate)."""
        if len(self.top_two) < 2:
            return sig.cosine
        return self.top_two[1] if sig.cosine >= self.top_two[0] else self.top_two[0]
