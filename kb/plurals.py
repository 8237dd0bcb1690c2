"""Counted nouns in the help center's languages: "1 search, 2 searches", "1 pretraga,
2 pretrage, 5 pretraga". Croatian has three forms, chosen by CLDR's plural rules (Babel),
so figures read right in both languages instead of "1 searches"."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

# noun -> language -> CLDR plural category -> form
NOUNS: dict[str, dict[str, dict[str, str]]] = {
    "search": {
        "en": {"one": "search", "other": "searches"},
        "hr": {"one": "pretraga", "few": "pretrage", "other": "pretraga"},
    },
    "session": {
        "en": {"one": "session", "other": "sessions"},
        "hr": {"one": "sesija", "few": "sesije", "other": "sesija"},
    },
    "query": {
        "en": {"one": "query", "other": "queries"},
        "hr": {"one": "upit", "few": "upita", "other": "upita"},
    },
    "question": {
        "en": {"one": "question", "other": "questions"},
        "hr": {"one": "pitanje", "few": "pitanja", "other": "pitanja"},
    },
    "message": {
        "en": {"one": "message", "other": "messages"},
        "hr": {"one": "poruka", "few": "poruke", "other": "poruka"},
    },
    "error": {
        "en": {"one": "error", "other": "errors"},
        "hr": {"one": "greška", "few": "greške", "other": "grešaka"},
    },
    "warning": {
        "en": {"one": "warning", "other": "warnings"},
        "hr": {"one": "upozorenje", "few": "upozorenja", "other": "upozorenja"},
    },
    "section": {
        "en": {"one": "section", "other": "sections"},
        "hr": {"one": "odjeljak", "few": "odjeljka", "other": "odjeljaka"},
    },
}


def plural_form(n: int, lang: str) -> str:
    try:
        return str(Locale.parse(lang).plural_form(abs(n)))
    except (UnknownLocaleError, ValueError):
        return "one" if n == 1 else "other"


def count(n: int, noun: str, lang: str = "en") -> str:
    """``n`` and ``noun`` in the form ``lang`` uses after it: count(3, "search", "hr")
    is "3 pretrage"."""
    forms = NOUNS[noun].get(lang) or NOUNS[noun]["en"]
    return f"{n} {forms.get(plural_form(n, lang), forms['other'])}"
