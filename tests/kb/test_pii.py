"""Personal data never reaches the search log; ordinary numbers survive."""

import pytest

from kb.pii import luhn_valid, oib_valid, scrub
from kb.settings import Settings

ORDER = Settings().order_number_pattern


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moj mail je ana.horvat@gmail.com, javite se", "moj mail je [email], javite se"),
        ("please reply to John.Smith+shop@example.co.uk", "please reply to [email]"),
        ("nazovite me na 091 234 5678 poslije 17h", "nazovite me na [phone] poslije 17h"),
        ("moj broj je 098/765-432", "moj broj je [phone]"),
        ("fiksni 01 4000 123", "fiksni [phone]"),
        ("call me on +385 91 234 5678", "call me on [phone]"),
        ("UK number +44 20 7946 0958 please", "UK number [phone] please"),
        ("kartica 4111 1111 1111 1111 je odbijena", "kartica [card] je odbijena"),
        ("my card 5500-0000-0000-0004 was charged twice", "my card [card] was charged twice"),
        ("OIB 69435151530 za R1 račun", "OIB [oib] za R1 račun"),
        ("uplatio sam na HR12 1001 0051 8630 0016 0", "uplatio sam na [iban]"),
        ("refund to IBAN DE89370400440532013000", "refund to IBAN [iban]"),
        ("narudžba BR-2026-004512 nije stigla", "narudžba [order] nije stigla"),
        ("order 20260045127 still not here", "order [order] still not here"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert scrub(text, ORDER) == expected


@pytest.mark.parametrize(
    "text",
    [
        "dostava traje 2-4 radna dana i košta 3,99 EUR",
        "free delivery over 50 EUR, 24 instalments",
        "1234 5678 9012 3456 is not a valid card",  # fails Luhn
        "12345678901 nije valjani OIB",  # fails the OIB checksum
        "povrat u roku od 30 dana",
    ],
)
def test_ordinary_text_and_invalid_numbers_survive(text: str) -> None:
    assert scrub(text) == text


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert oib_valid("69435151530") and not oib_valid("69435151531")
