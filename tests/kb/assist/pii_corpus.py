"""The labelled corpora of pasted e-mails (tests/golden/agent-pii-*.yml) and how to tell
whether a labelled piece of personal data survived in a text: shared by the scrubber's
recall tests and the agent pages' end-to-end privacy test."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.helpers import GOLDEN

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
