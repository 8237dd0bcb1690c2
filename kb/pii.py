"""Personal data is scrubbed from query text before anything stores it.

Customers paste e-mails, phone numbers, card numbers and order numbers into search boxes;
the search log must not keep them. Numbers are only treated as cards or OIBs when their
checksums say so, so "2 do 4 radna dana" or a price survives.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# starts only where a run of address characters starts: linear time on a long word
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.I)
CARD = re.compile(r"\b\d(?:[ -]?\d){12,}\b")  # a run of digits; cards are found inside it
OIB = re.compile(r"\b\d{11}\b")
PHONE = re.compile(
    # international: +385 91 234 5678, 0044 20 7946 0958
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s./-]?\(?\d{1,4}\)?(?:[\s./-]?\d{2,4}){2,4}(?!\w)"
    # Croatian national: 01 4000 123, 091 234 5678, 098/765-432
    r"|(?<![\w+])0\d{1,2}[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?!\w)"
)
PLACEHOLDERS = {
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "oib": "[oib]",
    "phone": "[phone]",
    "order": "[order]",
}


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def oib_valid(digits: str) -> bool:
    """ISO 7064 MOD 11,10: the check digit every Croatian OIB carries."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    remainder = 10
    for ch in digits[:10]:
        remainder = (remainder + int(ch)) % 10 or 10
        remainder = (remainder * 2) % 11
    return (11 - remainder) % 10 == int(digits[10])


def iban_valid(text: str) -> bool:
    iban = re.sub(r"\s", "", text).upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _cards(m: re.Match[str]) -> str:
    """Every Luhn-valid 13-19 digit stretch of a digit run, on the writer's group
    boundaries: a card followed by its CVV or preceded by another number is still a card.
    At most 19 digits are looked at from each group, so a huge run stays cheap."""
    run = m.group()
    groups = [(g.start(), g.group()) for g in re.finditer(r"\d+", run)]
    parts: list[str] = []
    cursor = i = 0
    while i < len(groups):
        digits, valid_end = "", None
        for j in range(i, len(groups)):
            digits += groups[j][1]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_valid(digits):
                valid_end = j  # keep going: the longest valid stretch wins
        if valid_end is None:
            i += 1
            continue
        parts += [run[cursor : groups[i][0]], PLACEHOLDERS["card"]]
        cursor = groups[valid_end][0] + len(groups[valid_end][1])
        i = valid_end + 1
    return "".join(parts) + run[cursor:]


def _checked(kind: str, check: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        digits = re.sub(r"[\s-]", "", m.group())
        return PLACEHOLDERS[kind] if check(digits) else m.group()

    return replace


def scrub(text: str, order_pattern: str | None = None) -> str:
    """``text`` with e-mails, IBANs, cards, OIBs, phone and order numbers replaced."""
    text = EMAIL.sub(PLACEHOLDERS["email"], text)
    text = IBAN.sub(lambda m: PLACEHOLDERS["iban"] if iban_valid(m.group()) else m.group(), text)
    text = CARD.sub(_cards, text)
    text = OIB.sub(_checked("oib", oib_valid), text)
    if order_pattern:
        text = re.sub(order_pattern, PLACEHOLDERS["order"], text)
    return PHONE.sub(PLACEHOLDERS["phone"], text)
