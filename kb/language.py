"""Which language a text is in, for articles without a language folder and for queries.

Cheap and dependency-free: the share of a language's function words plus its letters
(č ć đ š ž) decides. It only has to tell apart the languages a help center serves.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kb.text import fold_diacritics

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "a",
            "about",
            "above",
            "after",
            "again",
            "against",
            "all",
            "am",
            "an",
            "and",
            "any",
            "are",
            "as",
            "at",
            "be",
            "because",
            "been",
            "before",
            "being",
            "below",
            "between",
            "both",
            "but",
            "by",
            "can",
            "cannot",
            "could",
            "did",
            "do",
            "does",
            "doing",
            "down",
            "during",
            "each",
            "few",
            "for",
            "from",
            "further",
            "had",
            "has",
            "have",
            "having",
            "he",
            "her",
            "here",
            "hers",
            "herself",
            "him",
            "himself",
            "his",
            "how",
            "i",
            "if",
            "in",
            "into",
            "is",
            "it",
            "its",
            "itself",
            "just",
            "me",
            "more",
            "most",
            "my",
            "myself",
            "no",
            "nor",
            "not",
            "of",
            "off",
            "on",
            "once",
            "only",
            "or",
            "other",
            "our",
            "ours",
            "ourselves",
            "out",
            "over",
            "own",
            "same",
            "she",
            "should",
            "so",
            "some",
            "such",
            "than",
            "that",
            "the",
            "their",
            "theirs",
            "them",
            "themselves",
            "then",
            "there",
            "these",
            "they",
            "this",
            "those",
            "through",
            "to",
            "too",
            "under",
            "until",
            "up",
            "very",
            "was",
            "we",
            "were",
            "what",
            "when",
            "where",
            "which",
            "while",
            "who",
            "whom",
            "why",
            "will",
            "with",
            "would",
            "you",
            "your",
            "yours",
            "yourself",
            "yourselves",
            "hi",
            "hello",
            "please",
            "thanks",
            "thank",
            "can't",
            "don't",
            "i'm",
            "i've",
            "it's",
        ]
    ),
    "hr": frozenset(
        fold_diacritics(
            """a ako ali bi bih bila bile bili bilo bio bismo biste biti bude budu će ćemo ćete ćeš
            ću da do dok ga gdje i ih ili im iz ja je jedan jedna jedno jer jesam jesi jesmo jeste
            jesu još ju kad kada kako koja koje koji kojih kojim kojima koju kod li me mene meni mi
            mu na nad nakon nam nama nas naš naša naše našeg ne nego neka neki nešto ni nije nisam
            nismo niste nisu njega njegov njemu njih njoj no o od oko ona one oni ono onda pa po pod
            prema pri s sa sam samo se sebe si smo ste su svoj svoja svoje ta tako te ti to tu u uz
            vam vama vas vaš vaša vaše već vi za zašto što šta sto sta molim hvala pozdrav poštovani
            bok dobar dan mogu može možete moj moja moje želim trebam imam koliko kolko gdje
            di zašto kamo jel jeli je li ima imate mi vi ste sam bih htio htjela htjeo moze
            mozete trebao trebala bi li hoću hoće ovo ovaj ova taj onaj neki nešto nekako
            li kod vas vam moj mojeg mojem mojim mojih moju mog mome mojoj vašu vašeg vašem vašim
            vaših vašoj tvoj tvoja tvoje njihov njihova njihove njezin treba trebam trebate
            trebalo trebati možeš možemo mogli mogla mogao želimo željela želio htjeli
            ću ćeš svoju svojim svojih sve svi sav kao"""
        ).split()
    ),
}

_LETTERS = {"hr": set("čćđšžČĆĐŠŽ")}
_WORD = re.compile(r"[^\W\d_]+", re.U)


@lru_cache(maxsize=8)
def _detector(candidates: tuple[str, ...]) -> tuple[Any, dict[Any, str]] | None:
    """A Lingua detector restricted to the help center's languages (short-text capable)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = {}
    for code in candidates:
        try:
            languages[Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))] = code
        except (AttributeError, ValueError):
            continue
    if len(languages) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*languages).build(), languages


def detect(
    text: str, candidates: tuple[str, ...] = ("hr", "en"), min_confidence: float = 0.8
) -> str | None:
    """The most likely language among ``candidates``, or None when the text does not say.

    Lingua decides when it is confident; otherwise (or for languages it does not know)
    function words and Croatian letters (č ć đ š ž) decide.
    """
    text = text[:3000]
    detector = _detector(tuple(sorted(candidates)))
    if detector is not None:
        lingua, codes = detector
        values = lingua.compute_language_confidence_values(text)
        if values and values[0].value >= min_confidence:
            return codes.get(values[0].language)
    return _detect_by_words(text, candidates)


def _detect_by_words(text: str, candidates: tuple[str, ...]) -> str | None:
    words = _WORD.findall(text.lower())
    if not words:
        return None
    scores: dict[str, float] = {}
    folded = [fold_diacritics(w) for w in words]
    for lang in candidates:
        stop = STOPWORDS.get(lang, frozenset())
        score = float(sum(1 for w in folded if w in stop))
        letters = _LETTERS.get(lang)
        if letters:
            score += 2.0 * sum(1 for ch in text if ch in letters)
        scores[lang] = score
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] == 0 or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return best
