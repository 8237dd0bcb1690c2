"""Typo tolerance: a query word the help center never uses, matched to words it does.

Customers type "pasword", "dostvaa", "refnd". The lexical side cannot match such a word
and the model only half understands it, so an unknown word is compared with the
language's vocabulary (the words of its indexed sections, diacritics folded): words
within one edit for 5-8 letters, two for 9 or more, the closest first and among those the
most frequent. Short words (too many neighbours), numbers and codes ("0x8004dec5",
"AADDS104": a near code is another code) are never corrected.

A word the help center does not use is not always a typo: "naučiti" (to learn) is one edit
from "naručiti" (to order), "Australia" one from "Austria", and correcting them turns an
unanswerable question into a confidently wrong answer. So a word the language commonly
uses (wordfreq's list of words seen at least once per million, diacritics folded like
the index's) is left alone: it says the question is about something else.

Nor is every word one edit away a likely slip. People drop a letter, swap two, double
one, hit the key next to the right one or spell a sound by ear (a vowel for a vowel,
c for k); "shopu" -> "stopu" (h for t),
"putno" -> "puno" (an extra t) or "excelu" -> "excel" are other words, not slips, and
correcting them answered off-topic questions on the real help centers. So an edit counts
once when it is such a slip (keys by QWERTZ for Croatian, QWERTY otherwise) and twice
otherwise: such a word is then only a candidate where two edits are allowed. One
more kind counts once: a Croatian case ending on a word the articles use bare, as
customers decline product names ("officea", "excelu") that the articles leave in English.

The vocabulary is built by the indexer and saved beside the lexical index; the candidate
search is rapidfuzz's (optimal string alignment: a swapped pair of letters is one edit),
and only its few finds are then weighed as slips.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import wordfreq
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.text import fold_word

WORD = re.compile(r"[^\W\d_]+", re.U)
TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.U)  # kb.search.lexical's, digits included
MIN_LETTERS = 5
# a word one letter shorter is corrected only to the word it is with one letter put back
# ("nvca" -> "novca"): any other slip in four letters turns too many words into others
SHORT_LETTERS = MIN_LETTERS - 1
CANDIDATES = 3  # vocabulary words one typed word may stand for
# a near match counts less than the word itself: a correction is a guess
FUZZY_WEIGHT = {1: 0.8, 2: 0.6}
FILE = "words.json"
# wordfreq files Croatian, Serbian and Bosnian together, as Serbo-Croatian
_WORDFREQ_LANG = {"hr": "sh", "sr": "sh", "bs": "sh"}


@lru_cache(maxsize=8)
def common_words(lang: str) -> frozenset[str]:
    """Words ``lang`` uses at least once per million (folded): real words, never typos."""
    code = _WORDFREQ_LANG.get(lang, lang)
    if code not in wordfreq.available_languages(wordlist="small"):
        return frozenset()
    words = wordfreq.get_frequency_dict(code, wordlist="small")
    return frozenset(fold_word(w, lang) for w in words)


# the keyboards the help center's visitors type on, row by row (each row sits half a key
# to the right of the one above); Croatian keyboards are QWERTZ
_ROWS = {
    "hr": ("qwertzuiop", "asdfghjkl", "yxcvbnm"),
    "en": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
}


@lru_cache(maxsize=8)
def neighbours(lang: str) -> dict[str, frozenset[str]]:
    """Keys next to each key: left and right, and the two above and below it."""
    rows = _ROWS.get(lang, _ROWS["en"])
    near: dict[str, set[str]] = defaultdict(set)
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            around = [
                (r, i - 1),
                (r, i + 1),
                (r - 1, i),
                (r - 1, i + 1),
                (r + 1, i - 1),
                (r + 1, i),
            ]
            near[key].update(
                rows[rr][j] for rr, j in around if 0 <= rr < len(rows) and 0 <= j < len(rows[rr])
            )
    return {key: frozenset(keys) for key, keys in near.items()}


# letters people confuse when they spell by ear, not by finger: any vowel for another
# ("calender", "seperate"), and consonants that sound alike ("subskription")
_VOWELS = frozenset("aeiouy")
_SOUND_ALIKE = frozenset({("c", "k"), ("k", "c"), ("c", "s"), ("s", "c"), ("s", "z"), ("z", "s")})
# case endings Croatian puts on a foreign name: "u Excelu", "instalacija Officea"
_CASE_ENDINGS = {lang: ("a", "u", "e", "i", "om", "em") for lang in ("hr", "sr", "bs")}


def slips(typed: str, word: str, lang: str) -> int:
    """Edits from ``word`` to ``typed`` as people make them: a dropped letter, two swapped
    letters, a doubled letter, a neighbouring key (hit instead, or as well), a vowel for a
    vowel or a sound-alike consonant count 1; any other letter in place of or beside the
    right ones counts 2 (folded words). A Croatian case ending on the bare word counts 1."""
    if typed.startswith(word) and typed[len(word) :] in _CASE_ENDINGS.get(lang, ()):
        return 1
    near = neighbours(lang)

    def extra(k: int) -> int:  # typed[k] is one letter too many
        c = typed[k]
        beside = {typed[k - 1]} if k > 0 else set()
        if k + 1 < len(typed):
            beside.add(typed[k + 1])
        return 1 if c in beside or beside & near.get(c, frozenset()) else 2

    n, m = len(typed), len(word)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = d[i - 1][0] + extra(i - 1)
    for j in range(1, m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        a = typed[i - 1]
        for j in range(1, m + 1):
            b = word[j - 1]
            if a == b:
                instead = 0
            elif b in near.get(a, frozenset()) or {a, b} <= _VOWELS or (a, b) in _SOUND_ALIKE:
                instead = 1
            else:
                instead = 2
            best = min(d[i - 1][j - 1] + instead, d[i][j - 1] + 1, d[i - 1][j] + extra(i - 1))
            if i > 1 and j > 1 and a == word[j - 2] and typed[i - 2] == b:
                best = min(best, d[i - 2][j - 2] + 1)
            d[i][j] = best
    return d[n][m]


def max_edits(word: str) -> int:
    """Edits allowed for a typed word: 0 for short words, numbers and codes."""
    if not word.isalpha() or len(word) < MIN_LETTERS:
        return 0
    return 1 if len(word) <= 8 else 2


def correctable(typed: str) -> bool:
    """Only ordinary words: letters only, not written in capitals (an acronym or a code)."""
    return max_edits(typed) > 0 and not (typed.isupper() and len(typed) > 1)


@dataclass(frozen=True)
class Candidate:
    word: str  # folded, as in the vocabulary
    shown: str  # as the articles write it (diacritics kept), for "did you mean"
    edits: int
    frequency: int

    @property
    def weight(self) -> float:
        return FUZZY_WEIGHT.get(self.edits, 0.0)


@dataclass(frozen=True)
class Vocabulary:
    """A language's words: folded form -> sections using it, and its usual spelling."""

    lang: str
    frequency: dict[str, int]
    shown: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, lang: str, texts: Iterable[str], stop: frozenset[str] = frozenset()
    ) -> Vocabulary:
        """Counts each word once per text (document frequency: a word repeated in one
        long section says less than a word many sections use)."""
        frequency: Counter[str] = Counter()
        written: dict[str, Counter[str]] = {}
        folded: dict[str, str] = {}
        for text in texts:
            for word in set(WORD.findall(text.lower())):
                key = folded.get(word)
                if key is None:
                    key = folded[word] = fold_word(word, lang)
                if len(key) < 3 or key in stop:
                    continue
                frequency[key] += 1
                written.setdefault(key, Counter())[word] += 1
        shown = {k: forms.most_common(1)[0][0] for k, forms in written.items()}
        return cls(lang, dict(frequency), {k: v for k, v in shown.items() if v != k})

    def save(self, folder: Path) -> None:
        data = {"frequency": self.frequency, "shown": self.shown}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, lang: str, folder: Path) -> Vocabulary | None:
        path = folder / FILE
        if not path.exists():
            return None  # an index built before typo tolerance: no corrections
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(lang, data["frequency"], data.get("shown", {}))

    @cached_property
    def _words(self) -> list[str]:
        return list(self.frequency)

    def __contains__(self, word: str) -> bool:
        return word in self.frequency

    @cached_property
    def _letters(self) -> frozenset[str]:
        return frozenset("".join(self._words))

    def _dropped_letter(self, word: str) -> list[Candidate]:
        """Vocabulary words that are ``word`` with one letter put back, most used first."""
        put_back = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in self._letters}
        found = put_back & self.frequency.keys()
        ranked = sorted(found, key=lambda w: (-self.frequency[w], w))[:CANDIDATES]
        return [Candidate(w, self.shown.get(w, w), 1, self.frequency[w]) for w in ranked]

    def candidates(self, typed: str) -> list[Candidate]:
        """Vocabulary words near a typed word, nearest then most frequent first; none
        when the word is known, too short, a number or a code."""
        word = fold_word(typed.lower(), self.lang)
        short = len(word) == SHORT_LETTERS and word.isalpha() and not typed.isupper()
        if not (short or correctable(typed)):
            return []
        if word in self.frequency or word in common_words(self.lang):
            return []
        if short:
            return self._dropped_letter(word)
        limit = max_edits(word)
        found = process.extract(
            word, self._words, scorer=OSA.distance, score_cutoff=limit, limit=50
        )
        weighed = [(w, slips(word, w, self.lang)) for w, _, _ in found]
        ranked = sorted(
            ((w, d) for w, d in weighed if d <= limit),
            key=lambda m: (m[1], -self.frequency[m[0]], m[0]),
        )
        return [
            Candidate(w, self.shown.get(w, w), d, self.frequency[w]) for w, d in ranked[:CANDIDATES]
        ]


@dataclass(frozen=True)
class Typo:
    """One typed word the index does not know, where it is, and what it may stand for."""

    start: int
    end: int
    typed: str
    term: str  # the typed word as the lexical index analyses it
    candidates: list[Candidate]
    terms: list[tuple[str, float]]  # candidates' index terms with their weights

    @property
    def replacement(self) -> str:
        """The likeliest word, capitalised as it was typed."""
        best = self.candidates[0].shown
        return best[:1].upper() + best[1:] if self.typed[:1].isupper() else best


def corrected(text: str, typos: list[Typo]) -> str | None:
    """``text`` with every typo replaced by its likeliest word; None if nothing changed."""
    if not typos:
        return None
    out, last = [], 0
    for typo in sorted(typos, key=lambda t: t.start):
        out += [text[last : typo.start], typo.replacement]
        last = typo.end
    out.append(text[last:])
    fixed = "".join(out)
    return fixed if fixed != text else None
