"""What is no question stays out of gap topics; real questions in either language stay in."""

import pytest

from kb.insights.garbage import why_garbage

LANGS = ("hr", "en")


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("��", "encoding"),
        ("ðŸ“¦", "encoding"),
        ("naruÄ\x8dila sam", "encoding"),
        ("<script>alert(1)</script>", "markup"),
        ("<b>dostava</b>", "markup"),
        ("к а к о", "script"),
        ("доставка", "script"),
        ("🙂📦", "no_words"),
        ("kako", "no_words"),
        ("how to", "no_words"),
        ("a b c", "no_words"),
        ("[email] [phone]", "no_words"),
    ],
)
def test_garbage_is_recognised_with_its_reason(query: str, reason: str) -> None:
    assert why_garbage(query, LANGS) == reason


@pytest.mark.parametrize(
    "query",
    [
        "povrat novca",
        "Koliko dugo traje povrat novca na karticu?",
        "where is my parcel",
        "placanje na rate",  # without diacritics
        "Ωmega dostava",  # a stray symbol beside real words
        "R1 račun",
        "Mogu li platiti pouzećem?",
    ],
)
def test_questions_are_not_garbage(query: str) -> None:
    assert why_garbage(query, LANGS) is None


def test_a_cyrillic_help_center_takes_cyrillic_questions() -> None:
    assert why_garbage("доставка", ("ru",)) is None
    assert why_garbage("delivery", ("ru",)) == "script"
