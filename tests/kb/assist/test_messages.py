"""Pasted e-mails lose every piece of personal data and keep every question: measured on
labelled corpora of realistic messages in both languages (recall per kind of data)."""

from __future__ import annotations

from collections import Counter

import pytest

from kb.assist.messages import clean_message
from kb.assist.suggest import question_units
from kb.settings import Settings
from tests.kb.assist.pii_corpus import corpus, personal_values, survivors

ORDER = Settings.model_fields["order_number_pattern"].default


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
