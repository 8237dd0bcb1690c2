"""The combined draft: greeting, one short answer per question with its link, closing."""

from kb.assist.replies import Answer, compose_draft, short_answer

SECTION = (
    "Povrat novca na karticu traje do 14 dana od primitka proizvoda. Banka ga može "
    "prikazati i kasnije.\n\nDetalji o iznimkama slijede u nastavku članka."
)


def test_a_short_answer_is_the_sections_opening() -> None:
    assert short_answer(SECTION) == (
        "Povrat novca na karticu traje do 14 dana od primitka proizvoda. Banka ga može "
        "prikazati i kasnije."
    )
    listed = "Možete platiti:\n\n- karticom\n- pouzećem\n\nViše o tome niže."
    assert short_answer(listed) == "Možete platiti:\n- karticom\n- pouzećem"
    long = "Rečenica koja je duga. " * 40
    cut = short_answer(long, 100)
    assert len(cut) <= 100 and cut.endswith(".")


def test_the_draft_answers_each_question_once_and_lists_what_it_does_not() -> None:
    refund = Answer("Koliko traje povrat?", "hr", "povrat-novca", "rokovi", SECTION, "https://x/r")
    again = Answer("A na karticu?", "hr", "povrat-novca", "rokovi", SECTION, "https://x/r")
    draft = compose_draft("hr", [refund, again, Answer("Prodajete li traktore?")])
    assert draft.text.startswith("Poštovani,\n\nhvala Vam na poruci.\n\n")
    assert draft.text.count("Više o tome: https://x/r") == 1
    assert draft.text.endswith("Lijep pozdrav,\nVaš tim podrške")
    assert draft.sections == ["hr/povrat-novca#rokovi"]
    assert draft.uncovered == ["Prodajete li traktore?"]
    english = compose_draft("en", [refund])
    assert english.text.startswith("Hello,") and "More details: https://x/r" in english.text
