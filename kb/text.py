"""Small text normalisations shared by slugs, the lexical analyser and snippets."""

from __future__ import annotations

import re
import unicodedata

# Croatian letters that NFKD does not decompose (đ) or that people type as digraphs.
_FOLD = str.maketrans({"đ": "d", "Đ": "D", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold_diacritics(text: str) -> str:
    """'Plaćanje đaka' -> 'Placanje daka': customers often type Croatian without diacritics."""
    if text.isascii():
        return text
    text = text.translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# đ is typed as "dj" as often as "d" (and folded to "d"): "djak", "dak" and "đak" meet
_DJ_LANGUAGES = frozenset({"hr", "sr", "bs"})


def fold_word(word: str, lang: str) -> str:
    """A lower-case word as both sides of the lexical index (and typo correction) compare it."""
    folded = fold_diacritics(word)
    return folded.replace("dj", "d") if lang in _DJ_LANGUAGES else folded


# Croatian letters sort after their base letter (c, č, ć, d, đ ...), not after "z" as code
# points put them; "{" and "|" sort right after "z"
_COLLATE = str.maketrans({"č": "c{", "ć": "c|", "đ": "d{", "š": "s{", "ž": "z{"})


def sort_key(text: str) -> str:
    """Titles in the order a reader expects: case-blind, "Čestitke" after "Cijene" and
    before "Dostava" (code points put every Croatian letter after "Zamjena"); other
    accented letters with their base letter."""
    return fold_diacritics(unicodedata.normalize("NFC", text).casefold().translate(_COLLATE))


def slugify(text: str, fallback: str = "section") -> str:
    """URL-safe id: 'Povrat novca' -> 'povrat-novca', stable across runs and languages."""
    slug = _NON_SLUG.sub("-", fold_diacritics(text).lower()).strip("-")
    return slug[:80].rstrip("-") or fallback


def clean_unicode(text: str) -> str:
    """Drop NUL, control and zero-width characters; normalise to NFC so 'c+ˇ' equals 'č'."""
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text
    text = unicodedata.normalize("NFC", text)
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )


def query_key(query: str) -> str:
    """One key for phrasings that differ only in case, accents, spacing and end marks."""
    return " ".join(fold_diacritics(query.lower()).split()).strip(" ?!.")


def fit_words(text: str, max_chars: int) -> str:
    """``text`` on one line, cut at a word to at most ``max_chars`` characters: a long
    message still has a question to search (its opening) instead of being refused."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut
