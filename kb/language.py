"""Which language a text is in, for articles without a language folder and for queries.

Cheap and dependency-free: the share of a language's function words plus its letters
(č ć đ š ž) decides. It only has to tell apart the languages a help center serves.
"""

from __future__ import annotations

import re

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


def detect(text: str, candidates: tuple[str, ...] = ("hr", "en")) -> str | None:
    """The most likely language among ``candidates``, or None when the text does not say."""
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
