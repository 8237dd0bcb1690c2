"""One localisation layer: every catalogue has the same keys and placeholders, and no
visitor-facing page of one language carries the other language's interface strings."""

from __future__ import annotations

import re
import string
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from web.i18n import Formatter, catalogue, catalogue_languages

PLURAL_TABLES = {"articles_count"}


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key not in PLURAL_TABLES:
            out |= flatten(value, name + ".")
        elif isinstance(value, dict):
            out[name] = value["other"]  # forms differ per language; "other" always exists
        else:
            out[name] = value
    return out


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    languages = catalogue_languages()
    assert set(languages) >= {"hr", "en"}
    english = flatten(catalogue("en"))
    for lang in languages:
        messages = flatten(catalogue(lang))
        assert messages.keys() == english.keys(), lang
        for key, text in messages.items():
            assert text.strip(), (lang, key)
            assert placeholders(text) == placeholders(english[key]), (lang, key)


def test_plural_forms_follow_each_language() -> None:
    hr, en = Formatter("hr"), Formatter("en")
    assert [hr.plural("articles_count", n) for n in (1, 3, 5, 21)] == [
        "1 članak",
        "3 članka",
        "5 članaka",
        "21 članak",
    ]
    assert [en.plural("articles_count", n) for n in (1, 2)] == ["1 article", "2 articles"]
    assert hr.number(1234.5) == "1.234,5" and en.number(1234.5) == "1,234.5"


def distinct_strings(lang: str, other: str) -> set[str]:
    """``other``'s interface strings that ``lang`` does not share (the words of each)."""
    own = set(flatten(catalogue(lang)).values())
    theirs = {v for v in flatten(catalogue(other)).values() if v not in own}
    fixed = set()
    for text in theirs:
        for part in re.split(r"\{[^}]*\}", text):  # placeholders are filled per page
            part = part.strip(" :.,–-→“”„")
            if len(part) >= 6:
                fixed.add(part)
    return fixed


PAGES = {
    "hr": [
        "/hr/",
        "/hr/categories/dostava",
        "/hr/articles/nacini-i-cijene-dostave",
        "/search?q=paket+mi+jo%C5%A1+nije+stigao&hl=hr",
        "/search?q=recept+za+sarmu&hl=hr",
        "/hr/contact?q=paket+je+stigao+o%C5%A1te%C4%87en",
        "/hr/articles/nepostoji",
        "/search?q=" + "rije%C4%8D+" * 110 + "&hl=hr",
    ],
    "en": [
        "/en/",
        "/en/categories/delivery",
        "/en/articles/delivery-options-and-costs",
        "/search?q=my+parcel+has+not+arrived&hl=en",
        "/search?q=what+is+the+capital+of+France&hl=en",
        "/en/contact?q=my+parcel+arrived+damaged",
        "/en/articles/does-not-exist",
        "/search?q=" + "word+" * 150 + "&hl=en",
    ],
}


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_no_page_carries_the_other_languages_interface(client: TestClient, lang: str) -> None:
    other = "en" if lang == "hr" else "hr"
    foreign = distinct_strings(lang, other)
    for url in PAGES[lang]:
        response = client.get(url)
        assert f'<html lang="{lang}">' in response.text, url
        body = response.text.split("<body>", 1)[1]
        # the interface only: article text and the visitor's own query are content
        body = re.sub(
            r'<div class="prose">.*?</div>\s*(?=<section id="feedback")', "", body, flags=re.S
        )
        text = unescape(re.sub(r"<[^>]+>", " ", body))
        found = sorted(s for s in foreign if s in text)
        assert not found, (url, found)
