"""Typo tolerance: a misspelt word finds the word it was meant to be - and nothing else.

Unit rules on small vocabularies, then the real thing: the demo help center's index with
the real model, where a misspelt question is answered and a misspelt off-topic one is not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import BuildReport
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.lexical import Analyzer, LexicalIndex
from kb.search.searcher import Searcher
from kb.search.typos import Vocabulary, corrected, max_edits, slips
from kb.settings import Settings


def test_edits_allowed_grow_with_the_word() -> None:
    assert [max_edits(w) for w in ("kako", "lozin", "lozinkaa", "dostavljac", "123456")] == [
        0,
        1,
        1,
        2,
        0,
    ]


def test_a_near_word_is_found_the_nearest_and_most_frequent_first() -> None:
    texts = ["broad delivery"] * 3 + ["bread", "password reset", "passport"]
    vocabulary = Vocabulary.build("en", texts)
    assert [c.word for c in vocabulary.candidates("braad")] == ["broad", "bread"]
    assert vocabulary.candidates("pasword")[0].word == "password"
    assert vocabulary.candidates("pasword")[0].edits == 1
    assert vocabulary.candidates("delivry")[0].word == "delivery"


def test_known_short_numeric_and_code_words_are_never_corrected() -> None:
    vocabulary = Vocabulary.build("en", ["error 0x8004dec4 AADDS105 reset the router", "route"])
    for typed in ("reset", "rout", "0x8004dec5", "AADDS104", "AADDS", "12345"):
        assert vocabulary.candidates(typed) == [], typed


def test_a_four_letter_word_is_corrected_only_by_the_letter_it_dropped() -> None:
    """Four letters leave too little to tell a slip from another word, except a letter
    left out: "nvca" is "novca" with its "o" put back; a changed letter is not a slip."""
    hr = Vocabulary.build("hr", ["povrat novca"] * 2 + ["novac", "kava", "sina"])
    assert [(c.word, c.edits) for c in hr.candidates("nvca")] == [("novca", 1)]
    assert hr.candidates("kafa") == [] and hr.candidates("sini") == []  # a letter changed
    assert hr.candidates("NVCA") == []  # capitals: an acronym or a code


def test_two_edits_only_for_long_words() -> None:
    vocabulary = Vocabulary.build("en", ["subscription", "invoice"])
    assert vocabulary.candidates("subscriptoin")[0].word == "subscription"  # swap: one edit
    assert vocabulary.candidates("subsriptoin")[0].word == "subscription"  # two edits
    assert vocabulary.candidates("invocie")[0].word == "invoice"
    assert vocabulary.candidates("invoyse") == []  # two edits in a 7-letter word


def test_a_slip_is_a_typo_another_word_one_edit_away_is_not() -> None:
    """A dropped, swapped or doubled letter, a neighbouring key or a vowel spelt by ear is
    a slip; another consonant in or beside the word makes another word ("shopu" is not
    "stopu", "putno" not "puno"): correcting those answered off-topic questions."""
    hr = Vocabulary.build("hr", ["stopu poreza", "puno toga", "farmu", "prijaviti se"])
    assert hr.candidates("shopu") == [] and hr.candidates("putno") == []
    assert hr.candidates("sarmu") == []
    assert hr.candidates("prjaviti")[0].word == "prijaviti"  # dropped letter
    en = Vocabulary.build("en", ["damaged", "broken", "accept", "calendar"])
    assert en.candidates("damsged")[0].word == "damaged"  # s is next to a
    assert en.candidates("brpken")[0].word == "broken"  # p is next to o
    assert en.candidates("acceppt")[0].word == "accept"  # doubled
    assert en.candidates("calender")[0].word == "calendar"  # a vowel for a vowel
    assert [slips(t, w, "en") for t, w in [("temas", "teams"), ("brqken", "broken")]] == [1, 2]


def test_a_croatian_case_ending_on_an_english_name_is_the_name() -> None:
    """Customers decline the product names the articles leave in English."""
    vocabulary = Vocabulary.build("hr", ["Microsoft Excel", "Office aplikacije"])
    assert vocabulary.candidates("excelu")[0].word == "excel"
    assert vocabulary.candidates("officea")[0].word == "office"


def test_croatian_is_compared_without_diacritics_and_shown_with_them() -> None:
    vocabulary = Vocabulary.build("hr", ["Plaćanje karticom", "plaćanje pouzećem"])
    best = vocabulary.candidates("plaćnje")[0]
    assert (best.word, best.shown) == ("placanje", "plaćanje")
    assert vocabulary.candidates("placanje") == []  # only missing diacritics: not a typo


def test_a_corrected_word_matches_but_weighs_less_than_the_word_itself() -> None:
    index = LexicalIndex.build("en", ["Reset your password", "Delivery times"], [0, 1])
    exact, exact_coverage = index.score(Analyzer("en").terms("password"))
    typos = index.typos("pasword")
    near, near_coverage = index.score(Analyzer("en").terms("pasword"), typos)
    assert [t.typed for t in typos] == ["pasword"]
    assert 0 < near[0] < exact[0] and near[1] == 0
    assert 0 < near_coverage[0] < exact_coverage[0]


def test_the_correction_keeps_the_rest_of_the_query() -> None:
    index = LexicalIndex.build("en", ["Reset your password", "Damaged parcel"], [0, 1])
    assert corrected("My parcle is damagd", index.typos("My parcle is damagd")) == (
        "My parcel is damaged"
    )
    assert corrected("reset password", index.typos("reset password")) is None


@pytest.fixture(scope="module")
def searcher(
    demo_settings: Settings, demo_build: BuildReport, embedder: SentenceTransformerEmbedder
) -> Searcher:
    return Searcher(SearchIndex.load(demo_settings.index_dir, embedder.fingerprint), embedder)


@pytest.mark.parametrize(
    ("lang", "query", "slug"),
    [
        ("en", "pasword reset", "forgotten-password"),
        ("en", "can I pay in instalmnts", "instalments"),
        ("hr", "zaboravio sam lozniku", "zaboravljena-lozinka"),
        ("hr", "kako vratiti proizovd", "povrat-proizvoda"),
    ],
)
def test_misspelt_questions_find_their_article(
    searcher: Searcher, lang: str, query: str, slug: str
) -> None:
    result = searcher.search(query, prefer=lang)
    assert result.answered and result.hits[0].slug == slug


def test_a_misspelling_the_model_reads_through_is_answered_as_typed(searcher: Searcher) -> None:
    """e5 reads "parcle" and "damagd" through their sub-words, and the answer model
    weighs the cosine more than the word share: no correction is needed."""
    result = searcher.search("my parcle is damagd", prefer="en")
    assert result.answered and result.corrected_query is None
    assert result.hits[0].slug == "damaged-parcel"


def test_did_you_mean_answers_the_correction_when_the_typed_query_is_not(
    searcher: Searcher,
) -> None:
    typed = searcher.search("my parcle never arived", prefer="en", correct=False)
    result = searcher.search("my parcle never arived", prefer="en")
    assert not typed.answered and typed.corrected_query is None
    assert result.answered and result.corrected_query == "my parcel never arrived"
    assert result.query == "my parcle never arived"
    assert result.hits[0].slug == "track-your-order"


@pytest.mark.parametrize(
    ("lang", "query"),
    [
        ("en", "how do I bake a chocolte cake"),
        ("en", "weather forcast for tomorow"),
        ("hr", "recept za sarmmu"),
    ],
)
def test_a_misspelt_off_topic_question_is_still_not_answered(
    searcher: Searcher, lang: str, query: str
) -> None:
    assert not searcher.search(query, prefer=lang).answered


def test_with_typo_tolerance_off_words_count_only_as_typed(
    demo_settings: Settings,
    demo_build: BuildReport,
    embedder: SentenceTransformerEmbedder,
    searcher: Searcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KB_TYPO_TOLERANCE=false: the operator's switch, and the "before" of the
    misspelt-set measurements in docs/search-quality.md."""
    monkeypatch.setenv("KB_TYPO_TOLERANCE", "false")
    settings = Settings()
    assert settings.typo_tolerance is False
    index = SearchIndex.load(demo_settings.index_dir, embedder.fingerprint)
    exact = Searcher(index, embedder, typo_tolerance=settings.typo_tolerance)
    assert exact.typos(index.lexical["en"], "pasword") == []
    assert exact.search("pasword", prefer="en", mode="lexical").hits == []
    tolerant = searcher.search("pasword", prefer="en", mode="lexical")
    assert tolerant.hits[0].slug == "forgotten-password"
    assert exact.search("my parcle is damagd", prefer="en").corrected_query is None


def test_a_real_word_the_help_center_does_not_use_is_not_a_typo() -> None:
    """ "naučiti" (learn) is one edit from "naručiti" (order), "Australia" from "Austria":
    corrected, an unanswerable question would get a confident wrong answer."""
    hr = Vocabulary.build("hr", ["Kako naručiti", "Dostava u Austriju"])
    assert hr.candidates("naučiti") == [] and hr.candidates("nauciti") == []
    assert hr.candidates("Australiju") == []
    assert hr.candidates("naruciit")[0].word == "naruciti"
    en = Vocabulary.build("en", ["Delivery to Austria", "earn points"])
    assert en.candidates("Australia") == [] and en.candidates("learn") == []


def test_the_vocabulary_is_saved_with_the_lexical_index(tmp_path: Path) -> None:
    """An index built before typo tolerance (no words.json) still loads; it just never
    corrects anything."""
    built = LexicalIndex.build("hr", ["Zaboravljena lozinka", "Povrat novca"], [0, 1])
    built.save(tmp_path)
    loaded = LexicalIndex.load("hr", tmp_path)
    assert loaded.vocabulary == built.vocabulary
    assert [t.typed for t in loaded.typos("zaboravljna")] == ["zaboravljna"]
    (tmp_path / "words.json").unlink()
    older = LexicalIndex.load("hr", tmp_path)
    assert older.vocabulary is None and older.typos("zaboravljna") == []
