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
from kb.search.typos import Typo, Vocabulary
from kb.text import fold_word as fold

_STEMMERS = {
    "en": "english",
    "hr": "serbian",
    "sr": "serbian",
    "bs": "serbian",
    "de": "german",
    "sl": "porter",
    "it": "italian",
    "fr": "french",
    "es": "spanish",
}
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.U)
BM25_K1 = 1.2
TYPO_CACHE = 4096  # texts whose typos are remembered (then forgotten all at once)
BM25_B = 0.75


@lru_cache(maxsize=16)
def stopwords(lang: str) -> frozenset[str]:
    """A language's stop words as the analyser compares them (folded)."""
    return frozenset(fold(w, lang) for w in STOPWORDS.get(lang, frozenset()))


@dataclass(frozen=True)
class Analyzer:
    lang: str

    def terms(self, text: str) -> list[str]:
        """Index terms of ``text`` in order (duplicates kept: BM25 counts them)."""
        stemmer = _stemmer(self.lang)
        stop = stopwords(self.lang)
        words = [fold(w, self.lang) for w in _TOKEN.findall(text.lower())]
        words = [w.replace("’", "'") for w in words if w not in stop and len(w) < 40]
        return stemmer.stemWords(words) if stemmer else words

    def word_spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word, so snippets can highlight what matched."""
        stemmer = _stemmer(self.lang)
        stop = stopwords(self.lang)
        kept: list[tuple[int, int]] = []
        words: list[str] = []
        for m in _TOKEN.finditer(text):
            word = fold(m.group().lower(), self.lang)
            if word not in stop:
                kept.append(m.span())
                words.append(word)
        # one call into the stemmer for all words: snippets run for every hit of a search
        terms = stemmer.stemWords(words) if stemmer else words
        return [(a, b, t) for (a, b), t in zip(kept, terms, strict=True)]


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _STEMMERS.get(lang)
    return Stemmer.Stemmer(name) if name else None


class LexicalIndex:
    """BM25 over one language's chunks; documents are positions in ``chunk_ids``."""

    def __init__(
        self,
        lang: str,
        bm25: bm25s.BM25,
        chunk_ids: np.ndarray,
        df: dict[str, int],
        synonyms: list[list[list[str]]] | None = None,
        vocabulary: Vocabulary | None = None,
    ):
        self.lang = lang
        self.vocabulary = vocabulary
        self._typos: dict[str, list[Typo]] = {}
        self.analyzer = Analyzer(lang)
        self.bm25 = bm25
        self.chunk_ids = chunk_ids
        self.df = df
        self.n_docs = len(chunk_ids)
        self.synonym_groups = synonyms or []
        # phrase (as a term tuple) -> every phrase of its group, itself first
        self._synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for group in self.synonym_groups:
            phrases = [tuple(p) for p in group]
            for phrase in phrases:
                self._synonyms[phrase] = [phrase] + [p for p in phrases if p != phrase]
        self._longest = max((len(p) for p in self._synonyms), default=1)

    @classmethod
    def build(
        cls,
        lang: str,
        texts: list[str],
        chunk_ids: list[int],
        synonyms: list[list[str]] | None = None,
    ) -> LexicalIndex:
        """``synonyms``: groups of words or phrases customers use for the same thing."""
        analyzer = Analyzer(lang)
        vocabulary = Vocabulary.build(lang, texts, stopwords(lang))
        return cls.from_terms(
            lang, [analyzer.terms(t) for t in texts], chunk_ids, synonyms, vocabulary
        )

    @classmethod
    def from_terms(
        cls,
        lang: str,
        terms_per_doc: list[list[str]],
        chunk_ids: list[int],
        synonyms: list[list[str]] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> LexicalIndex:
        """Like :meth:`build`, from already analysed documents (the indexer caches them);
        without ``vocabulary`` typed words are never corrected."""
        analyzer = Analyzer(lang)
        corpus = [terms or [""] for terms in terms_per_doc]
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for terms in corpus:
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        groups: list[list[list[str]]] = []
        for group in synonyms or []:
            unique = dict.fromkeys(tuple(analyzer.terms(p)) for p in group)
            phrases = [list(p) for p in unique if p]
            if len(phrases) > 1:
                groups.append(phrases)
        return cls(lang, bm25, np.asarray(chunk_ids, dtype=np.int64), df, groups, vocabulary)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder), show_progress=False)
        np.save(folder / "chunk_ids.npy", self.chunk_ids)
        (folder / "df.json").write_text(json.dumps(self.df), encoding="utf-8")
        (folder / "synonyms.json").write_text(json.dumps(self.synonym_groups), encoding="utf-8")
        if self.vocabulary is not None:
            self.vocabulary.save(folder)

    @classmethod
    def load(cls, lang: str, folder: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        chunk_ids = np.load(folder / "chunk_ids.npy")
        df = json.loads((folder / "df.json").read_text(encoding="utf-8"))
        synonyms_file = folder / "synonyms.json"
        synonyms = (
            json.loads(synonyms_file.read_text(encoding="utf-8")) if synonyms_file.exists() else []
        )
        return cls(lang, bm25, chunk_ids, df, synonyms, Vocabulary.load(lang, folder))

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def expand(self, terms: list[str]) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
        """The query as units: a word, or a synonym phrase found in it (longest first),
        each with the phrases that may stand in for it."""
        units: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = []
        seen: set[tuple[str, ...]] = set()
        i = 0
        while i < len(terms):
            for size in range(min(self._longest, len(terms) - i), 0, -1):
                phrase = tuple(terms[i : i + size])
                if size == 1 or phrase in self._synonyms:
                    break
            alternatives = self._synonyms.get(phrase, [phrase])
            if phrase not in seen:
                units.append((phrase, alternatives))
                seen.add(phrase)
            i += len(phrase)
        return units

    def highlight_terms(self, terms: list[str]) -> set[str]:
        return {t for _, alternatives in self.expand(terms) for p in alternatives for t in p}

    def _phrase_scores(self, phrase: tuple[str, ...]) -> np.ndarray:
        """BM25 of a phrase's words, only where all of them occur (no positions kept)."""
        total = np.zeros(self.n_docs, dtype=np.float32)
        present = np.ones(self.n_docs, dtype=bool)
        for term in phrase:
            if term not in self.df:
                return np.zeros(self.n_docs, dtype=np.float32)
            term_scores = np.asarray(self.bm25.get_scores([term]), dtype=np.float32)
            total += term_scores
            present &= term_scores > 0
        return total * present

    def typos(self, text: str) -> list[Typo]:
        """Words of ``text`` this language's sections never use (not even another form
        of them), each with the vocabulary words it was probably meant to be. Remembered
        per text: one search asks for ranking, highlighting and "did you mean"."""
        if self.vocabulary is None:
            return []
        found = self._typos.get(text)
        if found is None:
            if len(self._typos) >= TYPO_CACHE:
                self._typos.clear()
            found = self._typos[text] = self._find_typos(text, self.vocabulary)
        return found

    def _find_typos(self, text: str, vocabulary: Vocabulary) -> list[Typo]:
        stemmer = _stemmer(self.lang)
        stop = stopwords(self.lang)
        found = []
        for m in _TOKEN.finditer(text):
            word = fold(m.group().lower(), self.lang)
            if word in stop or word in vocabulary:
                continue
            term = stemmer.stemWord(word) if stemmer else word
            if term in self.df:
                continue
            candidates = vocabulary.candidates(m.group())
            if not candidates:
                continue
            stems = stemmer.stemWords([c.word for c in candidates]) if stemmer else None
            terms = [
                (stem, c.weight)
                for c, stem in zip(candidates, stems or [c.word for c in candidates], strict=True)
                if stem in self.df
            ]
            if terms:
                found.append(Typo(m.start(), m.end(), m.group(), term, candidates, terms))
        return found

    def _unit_weights(
        self,
        units: list[tuple[tuple[str, ...], list[tuple[str, ...]]]],
        fuzzy: dict[str, list[tuple[str, float]]],
    ) -> list[float]:
        """IDF of each query unit; a typo weighs as its likeliest correction."""
        return [
            self.idf(fuzzy[phrase[0]][0][0])
            if len(phrase) == 1 and phrase[0] in fuzzy
            else sum(self.idf(t) for t in phrase)
            for phrase, _ in units
        ]

    def unknown_share(self, terms: list[str], typos: list[Typo] | None = None) -> float:
        """Share of the query's IDF mass in words no section of this language uses, not
        even as a likely typo or through a synonym: an off-topic question usually names
        something the help center never mentions ("guitar", "Australia")."""
        fuzzy = {t.term: t.terms for t in typos or []}
        units = self.expand(terms)
        weights = self._unit_weights(units, fuzzy)
        unknown = sum(
            weight
            for (phrase, alternatives), weight in zip(units, weights, strict=True)
            if not (len(phrase) == 1 and phrase[0] in fuzzy)
            and not any(all(t in self.df for t in p) for p in alternatives)
        )
        return unknown / sum(weights) if weights else 0.0

    def score(
        self, terms: list[str], typos: list[Typo] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 score and IDF-weighted share of query terms present, for every document.

        The share ("coverage") does not depend on the other documents' scores, so it can
        say that *nothing* matches - BM25's relative scores cannot. A synonym counts as
        the words it stands in for (its best-scoring phrase, never a double count). A
        typed word the index does not know counts as its likeliest corrections (``typos``)
        at a discount, in both the score and the share.
        """
        fuzzy = {t.term: t.terms for t in typos or []}
        scores = np.zeros(self.n_docs, dtype=np.float32)
        covered = np.zeros(self.n_docs, dtype=np.float32)
        units = self.expand(terms)
        weights = self._unit_weights(units, fuzzy)
        total_idf = sum(weights) or 1.0
        for (phrase, alternatives), weight in zip(units, weights, strict=True):
            unit_scores = np.zeros(self.n_docs, dtype=np.float32)
            unit_share = np.zeros(self.n_docs, dtype=np.float32)
            for alternative in alternatives:
                np.maximum(unit_scores, self._phrase_scores(alternative), out=unit_scores)
            np.maximum(unit_share, (unit_scores > 0).astype(np.float32), out=unit_share)
            for term, discount in fuzzy.get(phrase[0], []) if len(phrase) == 1 else []:
                near = self._phrase_scores((term,))
                np.maximum(unit_scores, np.float32(discount) * near, out=unit_scores)
                np.maximum(unit_share, np.float32(discount) * (near > 0), out=unit_share)
            scores += unit_scores
            covered += unit_share * np.float32(weight / total_idf)
        return scores, covered
