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
