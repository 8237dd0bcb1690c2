"""Croatian lexical matching survives missing diacritics and word forms."""

from kb.search.lexical import Analyzer, LexicalIndex


def test_croatian_terms_fold_diacritics_and_stem() -> None:
    hr = Analyzer("hr")
    assert hr.terms("plaćanje") == hr.terms("placanje")
    assert hr.terms("pošiljka") == hr.terms("posiljku") == hr.terms("pošiljke")
    assert hr.terms("narudžbu") == hr.terms("narudzba")


def test_stop_words_are_dropped() -> None:
    assert Analyzer("hr").terms("kako da ja to") == []
    assert Analyzer("en").terms("how do I do it") == []


def test_coverage_is_absolute_not_relative() -> None:
    index = LexicalIndex.build(
        "hr",
        ["Plaćanje karticom i pouzećem", "Dostava na otoke traje dulje"],
        [0, 1],
    )
    _, coverage = index.score(Analyzer("hr").terms("placanje karticom"))
    assert coverage[0] > 0.99 and coverage[1] == 0
    _, coverage = index.score(Analyzer("hr").terms("recept za sarmu"))
    assert coverage.max() == 0


def test_unknown_share_is_the_idf_mass_of_words_no_section_uses() -> None:
    """An off-topic question names things the help center never mentions; a misspelt
    word with a likely correction, or a synonym, is not unknown."""
    index = LexicalIndex.build(
        "en",
        ["Pay by card or cash on delivery", "Delivery to the islands takes longer"],
        [0, 1],
        synonyms=[["parcel", "delivery"]],
    )
    terms = Analyzer("en").terms
    assert index.unknown_share(terms("card delivery")) == 0.0
    assert index.unknown_share(terms("capital of Australia")) == 1.0
    # a word no section uses weighs more than any word one does (its IDF is the highest)
    assert 0.5 < index.unknown_share(terms("card for guitar")) < 1.0
    assert index.unknown_share(terms("parcel")) == 0.0
    typed = "delivry to islands"
    assert index.unknown_share(terms(typed), index.typos(typed)) == 0.0
    assert index.unknown_share([]) == 0.0
