"""Pasted e-mails lose every piece of personal data and keep every question: measured on
labelled corpora of realistic messages in both languages (recall per kind of data)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.assist.messages import clean_message
from kb.assist.suggest import question_units
from kb.settings import Settings

GOLDEN = Path(__file__).parents[2] / "golden"
ORDER = Settings.model_fields["order_number_pattern"].default
NUMBERS = {"phone", "card", "iban", "oib", "order"}
GENERIC = {"Ulica", "Trg", "Cesta", "Obala", "Put", "Street", "Road", "Lane", "Flat", "Apt"}


def corpus(lang: str) -> list[dict[str, Any]]:
    return yaml.safe_load((GOLDEN / f"agent-pii-{lang}.yml").read_text(encoding="utf-8"))


def _squash(text: str) -> str:
    return re.sub(r"[\s\-/.()]", "", text).lower()


def survivors(value: str, kind: str, text: str) -> list[str]:
    """What of a labelled value is still in ``text``: a number's or an e-mail's characters,
    or any capitalised word or long number of a name, company or address."""
    if kind in NUMBERS or kind == "email":
        return [value] if _squash(value) in _squash(text) else []
    tokens = re.findall(r"[^\W\d_][\w'-]*|\d{3,}", value)
    keep = [
        t
        for t in tokens
        if (t[0].isupper() or t[0].isdigit()) and t not in GENERIC and t.lower() != "d"
    ]
    return [t for t in keep if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", text)]


def personal_values(case: dict[str, Any]) -> list[tuple[str, str]]:
    return [(kind, str(v)) for kind, values in case["personal"].items() for v in values]


def recall(lang: str) -> tuple[Counter[str], Counter[str], list[str]]:
    """Removed and total values per kind, and what survived where."""
    removed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    leaks = []
    for case in corpus(lang):
        cleaned = clean_message(case["message"], ORDER)
        for kind, value in personal_values(case):
            total[kind] += 1
            left = survivors(value, kind, cleaned)
            if left:
                leaks.append(f"{case['id']} {kind} {left}: {cleaned!r}")
            else:
                removed[kind] += 1
    return removed, total, leaks


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_the_corpus_is_big_and_covers_every_kind(lang: str) -> None:
    cases = corpus(lang)
    assert len(cases) >= 40 and len({c["id"] for c in cases}) == len(cases)
    kinds = {kind for case in cases for kind in case["personal"]}
    assert kinds >= {"name", "address", "company", "phone", "email", "oib", "iban", "card"}
    structures = " ".join(c["message"] for c in cases)
    for marker in ("\n> ", "From:" if lang == "en" else "Šalje:", "Forwarded message", "P.S."):
        assert marker in structures, marker


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_every_piece_of_personal_data_is_removed(lang: str) -> None:
    removed, total, leaks = recall(lang)
    report = ", ".join(f"{k} {removed[k]}/{total[k]}" for k in sorted(total))
    print(f"\n{lang} recall: {report}")  # shown with -s: the figures the README quotes
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_no_question_text_is_lost(lang: str) -> None:
    for case in corpus(lang):
        cleaned = " ".join(clean_message(case["message"], ORDER).split())
        units = " ".join(question_units(clean_message(case["message"], ORDER)))
        for question in case["questions"]:
            assert question in cleaned, (case["id"], question, cleaned)
            assert question in units, (case["id"], question, units)
