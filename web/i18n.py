"""The visitor's language: message catalogues and locale formatting in one place.

Every string a visitor can see lives in ``web/locales/<lang>.toml`` (one catalogue per
language, the same keys in each: a test checks it), so translators edit one file and no
template or route carries text of its own. Dates, numbers and plural forms follow the
locale through Babel (CLDR data) instead of hand-written rules; quotation marks are a
catalogue entry because CLDR's delimiters are not in Babel.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"
# Babel locale per site language: English dates the way a European shop writes them
BABEL_LOCALES = {"en": "en_GB", "hr": "hr_HR"}
LANGUAGE_NAMES = {"hr": "Hrvatski", "en": "English", "de": "Deutsch", "sl": "Slovenščina"}

Catalogue = dict[str, Any]


@cache
def catalogue(lang: str) -> Catalogue:
    """The messages of ``lang``; a language without a catalogue gets English."""
    path = LOCALES_DIR / f"{lang}.toml"
    if not path.is_file():
        path = LOCALES_DIR / f"{FALLBACK}.toml"
    with path.open("rb") as f:
        return tomllib.load(f)


def catalogue_languages() -> list[str]:
    return sorted(p.stem for p in LOCALES_DIR.glob("*.toml"))


def strings(lang: str) -> Catalogue:
    """What templates call ``t``: ``t.results.title``, ``t["search_in"][code]``."""
    return catalogue(lang)


def message(lang: str, key: str, **params: object) -> str:
    """One dotted key (``error.not_found``), its placeholders filled in."""
    value: Any = catalogue(lang)
    for part in key.split("."):
        value = value[part]
    return str(value).format(**params) if params else str(value)


class Formatter:
    """Locale-aware formatting for one page language (``fmt`` in templates)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(BABEL_LOCALES.get(lang, lang))

    def date(self, value: str | dt.date | None) -> str:
        """An ISO date as the locale writes it ("14. rujna 2026.", "14 September 2026")."""
        if not value:
            return ""
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        return format_date(day, format="long", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def plural(self, key: str, count: int) -> str:
        """The catalogue's form of ``key`` for ``count`` (1 članak, 3 članka, 5 članaka)."""
        forms: dict[str, str] = catalogue(self.lang)[key]
        form = forms.get(self.locale.plural_form(count)) or forms["other"]
        return form.format(count=self.number(count))

    def quote(self, text: str, limit: int = 80) -> str:
        """Text in the locale's quotation marks, cut at a word near ``limit`` characters."""
        text = " ".join(text.split())
        if len(text) > limit:
            cut = text.rfind(" ", 0, limit)
            text = text[: cut if cut > limit // 2 else limit].rstrip(" ,.;:") + "…"
        return str(catalogue(self.lang)["quoted"]).format(text=text)

    def language(self, code: str) -> str:
        """A language's name in the page's language ("engleski" on a Croatian page)."""
        return self.locale.languages.get(code, LANGUAGE_NAMES.get(code, code))


def category_title(category: str, names: dict[str, str]) -> str:
    return names.get(category) or category.replace("-", " ").capitalize()


# -- agent and login pages (issue 15) ------------------------------------------------------
# Kept apart from the public pages' strings above: staff pages change on their own.
AGENT_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "login_title": "Agent login",
        "login_intro": "Support agents and admins sign in here to answer customers' messages.",
        "login_token": "Access token",
        "login_token_hint": "The agent token (or the admin token) your help-center admin gave you.",
        "login_button": "Sign in",
        "login_wrong": "That token is not right.",
        "login_expired": "This page was open too long and its form expired. Enter the token again.",
        "logout": "Sign out",
        "title": "Agent assist",
        "intro": "Paste the customer's whole message. Greetings, signatures, quoted replies "
        "and personal data are removed before anything is searched or stored; each question "
        "gets its answer.",
        "message_label": "Customer message",
        "reply_lang": "Reply language",
        "as_message": "as the message",
        "suggest": "Suggest answers",
        "empty": "Paste the customer's message first.",
        "expired": "This page was open too long and the form expired; nothing was searched. "
        "The message is still here: press the button again.",
        "suggested": "Suggested answers",
        "questions_found": "Questions found",
        "answered": "answered",
        "not_answered": "no article answers this",
        "context": "context",
        "draft_title": "Reply ready to send",
        "draft_intro": "One reply to the whole message: edit it here, then copy it.",
        "draft_label": "Reply to the customer",
        "draft_missing": "Not answered in the draft — write these yourself:",
        "copy_draft": "Copy reply",
        "copied": "Copied",
        "copy": "Copy",
        "copy_markdown": "Copy as Markdown",
        "answers": "Answers",
        "section_as_on_site": "Section as on the site",
        "reply_plain": "Reply (plain text)",
        "no_suggestions": "No article answers this message yet.",
        "fallback": "No article in {asked} answers “{unit}”; offering the one in {got}.",
        "strong": "strong",
        "partial": "possible",
        "weak": "weak",
        "too_long": "The message is too long ({n} characters; at most {max}).",
        "unknown_lang": "There are no articles in that language; available: {available}.",
    },
    "hr": {
        "login_title": "Prijava za agente",
        "login_intro": "Agenti podrške i administratori ovdje se prijavljuju kako bi "
        "odgovarali na poruke kupaca.",
        "login_token": "Pristupni token",
        "login_token_hint": "Token za agente (ili administratorski token) koji ste dobili od "
        "administratora centra za pomoć.",
        "login_button": "Prijava",
        "login_wrong": "Token nije ispravan.",
        "login_expired": "Stranica je bila predugo otvorena pa je obrazac istekao. "
        "Ponovno upišite token.",
        "logout": "Odjava",
        "title": "Pomoć agentima",
        "intro": "Zalijepite cijelu poruku kupca. Pozdravi, potpisi, citirani odgovori i "
        "osobni podaci uklanjaju se prije pretraživanja i spremanja; svako pitanje dobiva "
        "svoj odgovor.",
        "message_label": "Poruka kupca",
        "reply_lang": "Jezik odgovora",
        "as_message": "kao u poruci",
        "suggest": "Predloži odgovore",
        "empty": "Najprije zalijepite poruku kupca.",
        "expired": "Stranica je bila predugo otvorena pa je obrazac istekao; ništa nije "
        "pretraženo. Poruka je i dalje ovdje: ponovno pritisnite gumb.",
        "suggested": "Predloženi odgovori",
        "questions_found": "Pronađena pitanja",
        "answered": "odgovoreno",
        "not_answered": "nijedan članak ne odgovara na ovo",
        "context": "kontekst",
        "draft_title": "Odgovor spreman za slanje",
        "draft_intro": "Jedan odgovor na cijelu poruku: uredite ga ovdje, zatim ga kopirajte.",
        "draft_label": "Odgovor kupcu",
        "draft_missing": "Nije odgovoreno u nacrtu — napišite sami:",
        "copy_draft": "Kopiraj odgovor",
        "copied": "Kopirano",
        "copy": "Kopiraj",
        "copy_markdown": "Kopiraj kao Markdown",
        "answers": "Odgovara na",
        "section_as_on_site": "Odjeljak kao na stranici",
        "reply_plain": "Odgovor (čisti tekst)",
        "no_suggestions": "Još nijedan članak ne odgovara na ovu poruku.",
        "fallback": "Nijedan članak na jeziku {asked} ne odgovara na „{unit}“; nudimo onaj "
        "na jeziku {got}.",
        "strong": "dobro",
        "partial": "moguće",
        "weak": "slabo",
        "too_long": "Poruka je preduga ({n} znakova; najviše {max}).",
        "unknown_lang": "Na tom jeziku nema članaka; dostupni su: {available}.",
    },
}


def agent_strings(lang: str) -> dict[str, str]:
    return AGENT_STRINGS.get(lang, AGENT_STRINGS["en"])
