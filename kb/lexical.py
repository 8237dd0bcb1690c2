"""Language-aware BM25: the half of hybrid search that understands Croatian.

The bundled embedding model is English-only, so Croatian relevance - and the decision
that nothing answers a question - rests here: diacritics are folded first (customers type
"placanje" for "plaćanje"), then words are stemmed (Snowball english; the Snowball
serbian stemmer for Croatian, whose Latin rules fit Croatian) and stop words dropped.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from kb.language import STOPWORDS
from kb.text import fold_diacritics

_STEMMERS = {"en": "english", "hr": "serbian", "sr": "serbian", "bs": "serbian",
             "de": "german", "sl": "porter", "it": "italian", "fr": "french", "es": "spanish"}
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.U)
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class Analyzer:
    lang: str

    def terms(self, text: str) -> list[str]:
        """Index terms of ``text`` in order (duplicates kept: BM25 counts them)."""
        stemmer = _stemmer(self.lang)
        stop = STOPWORDS.get(self.lang, frozenset())
        words = [fold_diacritics(w) for w in _TOKEN.findall(text.lower())]
        words = [w.replace("’", "'") for w in words if w not in stop and len(w) < 40]
        return stemmer.stemWords(words) if stemmer else words

    def word_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word, so snippets can highlight what matched."""
        stemmer = _stemmer(self.lang)
        stop = STOPWORDS.get(self.lang, frozenset())
        spans = []
        for m in _TOKEN.finditer(text):
            word = fold_diacritics(m.group().lower())
            if word in stop:
                continue
            term = stemmer.stemWord(word) if stemmer else word
            spans.append((m.start(), m.end(), term))
        return spans


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _STEMMERS.get(lang)
    return Stemmer.Stemmer(name) if name else None


class LexicalIndex:
    """BM25 over one language's chunks; documents are positions in ``chunk_ids``."""

    def __init__(self, lang: str, bm25: bm25s.BM25, chunk_ids: np.ndarray, df: dict[str, int]):
        self.lang = lang
        self.analyzer = Analyzer(lang)
        self.bm25 = bm25
        self.chunk_ids = chunk_ids
        self.df = df
        self.n_docs = len(chunk_ids)

    @classmethod
    def build(cls, lang: str, texts: list[str], chunk_ids: list[int]) -> LexicalIndex:
        analyzer = Analyzer(lang)
        corpus = [analyzer.terms(t) or [""] for t in texts]
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for terms in corpus:
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        return cls(lang, bm25, np.asarray(chunk_ids, dtype=np.int64), df)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder), show_progress=False)
        np.save(folder / "chunk_ids.npy", self.chunk_ids)
        (folder / "df.json").write_text(json.dumps(self.df), encoding="utf-8")

    @classmethod
    def load(cls, lang: str, folder: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        chunk_ids = np.load(folder / "chunk_ids.npy")
        df = json.loads((folder / "df.json").read_text(encoding="utf-8"))
        return cls(lang, bm25, chunk_ids, df)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def score(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 score and IDF-weighted share of query terms present, for every document.

        The share ("coverage") does not depend on the other documents' scores, so it can
        say that *nothing* matches - BM25's relative scores cannot.
        """
        scores = np.zeros(self.n_docs, dtype=np.float32)
        covered = np.zeros(self.n_docs, dtype=np.float32)
        unique = list(dict.fromkeys(terms))
        total_idf = sum(self.idf(t) for t in unique) or 1.0
        for term in unique:
            if term not in self.df:
                continue
            term_scores = np.asarray(self.bm25.get_scores([term]), dtype=np.float32)
            scores += term_scores
            covered += (term_scores > 0) * np.float32(self.idf(term) / total_idf)
        return scores, covered
