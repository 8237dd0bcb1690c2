"""Queries that are not questions: kept out of gap topics and reported as a count.

Bots, broken encodings and people trying the search box send "��", "ðŸ“¦",
"<script>alert(1)</script>" or "к а к о" (spaced letters of a script the help center does
not write in). As gap topics they crowd out the questions writers can act on, yet their
number is worth knowing, so they are counted, not silently dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import ftfy.badness

from kb.language import STOPWORDS
from kb.pii import PLACEHOLDER
from kb.text import fold_diacritics

# the script each language is written in (Unicode name prefix of its letters)
SCRIPTS = {"ru": "CYRILLIC", "uk": "CYRILLIC", "bg": "CYRILLIC", "mk": "CYRILLIC", "el": "GREEK"}
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);|javascript:", re.I)
_WORD = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ")[0]


def why_garbage(query: str, languages: Iterable[str]) -> str | None:
    """Why ``query`` is no question in the help center's ``languages`` (None if it is one):
    ``encoding`` (mojibake or replacement characters), ``markup``, ``script`` (no letter
    of the help center's scripts), or ``no_words`` (nothing but stop words, placeholders
    or single letters)."""
    languages = tuple(languages) or ("en",)
    if "\ufffd" in query or ftfy.badness.is_bad(query):
        return "encoding"
    if _MARKUP.search(query):
        return "markup"
    scripts = {SCRIPTS.get(lang, "LATIN") for lang in languages}
    words = _WORD.findall(PLACEHOLDER.sub(" ", query))
    if not words:
        return "no_words"
    if not any(_script(ch) in scripts for word in words for ch in word):
        return "script"
    stop = frozenset().union(*(STOPWORDS.get(lang, frozenset()) for lang in languages))
    content = [w for w in words if len(w) > 1 and fold_diacritics(w.lower()) not in stop]
    if not content:
        return "no_words"
    return None
