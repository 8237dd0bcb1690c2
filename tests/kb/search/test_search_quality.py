"""Search quality on the demo help center, with the real model and a real index.

`demo-must.tsv`: plain-words questions that must find their article first (`a|b` where
two articles answer it equally: the returns article also says when the money comes back).
`demo.tsv`: the writers' larger paraphrase set, held to rates per language.
`offtopic.tsv`: questions the shop's help center cannot answer: must come back unanswered.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from indexer.build import BuildReport, build_index
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher
from kb.settings import Settings
from tests.helpers import ARTICLES, GOLDEN, read_tsv


@pytest.fixture(scope="module")
def searcher(
    demo_settings: Settings, demo_build: BuildReport, embedder: SentenceTransformerEmbedder
) -> Searcher:
    return Searcher(SearchIndex.load(demo_settings.index_dir, embedder.fingerprint), embedder)


MUST = read_tsv(GOLDEN / "demo-must.tsv")


@pytest.mark.parametrize(("lang", "query", "slug"), MUST, ids=[q for _, q, _ in MUST])
def test_plain_question_finds_its_article_at_the_top(
    searcher: Searcher, lang: str, query: str, slug: str
) -> None:
    result = searcher.search(query, prefer=lang)
    assert {h.slug for h in result.hits[:3]} & set(slug.split("|")), [
        h.slug for h in result.hits[:3]
    ]
    assert result.hits[0].lang == lang


def test_plain_questions_find_their_article_first(searcher: Searcher) -> None:
    """The fusion is no longer tuned on the demo (docs/search-quality.md): two of the 48
    rank their article second, behind a close neighbour ("order without registering"
    -> change or cancel an order)."""
    first = [
        searcher.search(query, prefer=lang).hits[0].slug in slug.split("|")
        for lang, query, slug in MUST
    ]
    assert sum(first) >= 0.95 * len(MUST), sum(first)


def test_plain_questions_are_answered(searcher: Searcher) -> None:
    unanswered = [q for lang, q, _ in MUST if not searcher.search(q, prefer=lang).answered]
    assert len(unanswered) <= len(MUST) // 20, unanswered


def test_the_writers_paraphrases_rank_well_in_both_languages(searcher: Searcher) -> None:
    rows = read_tsv(GOLDEN / "demo.tsv")
    assert len(rows) >= 100
    top1: dict[str, list[bool]] = defaultdict(list)
    top3: dict[str, list[bool]] = defaultdict(list)
    answered: dict[str, list[bool]] = defaultdict(list)
    for lang, query, slug in rows:
        result = searcher.search(query, prefer=lang)
        slugs = [h.slug for h in result.hits]
        top1[lang].append(slugs[:1] == [slug])
        top3[lang].append(slug in slugs[:3])
        answered[lang].append(result.answered)
    for lang in ("en", "hr"):
        rate1 = sum(top1[lang]) / len(top1[lang])
        rate3 = sum(top3[lang]) / len(top3[lang])
        rate_answered = sum(answered[lang]) / len(answered[lang])
        assert rate1 >= 0.80, f"{lang} top-1 {rate1:.2f}"
        assert rate3 >= 0.92, f"{lang} top-3 {rate3:.2f}"
        assert rate_answered >= 0.90, f"{lang} answered {rate_answered:.2f}"


def test_off_topic_questions_are_not_answered(searcher: Searcher) -> None:
    rows = read_tsv(GOLDEN / "offtopic.tsv")
    for lang in ("en", "hr"):
        results = [searcher.search(q, prefer=lg) for lg, q in rows if lg == lang]
        answered = [(r.query, r.hits[0].slug, r.hits[0].score) for r in results if r.answered]
        # Croatian rests on lexical evidence alone, so a question sharing rare words with an
        # article ("osobna iskaznica" is what you bring to collect an order) can pass; one
        # in five is the measured ceiling we hold it to (docs/search-quality.md).
        assert len(answered) <= len(results) // 5, answered
        assert all(r.hits for r in results), "the closest articles are still offered"


def test_no_off_topic_or_near_miss_question_is_called_strong(searcher: Searcher) -> None:
    """ "strong" is a promise: the answer model starts it above every unanswerable
    development question of the three help centers (docs/search-quality.md)."""
    rows = read_tsv(GOLDEN / "offtopic.tsv") + read_tsv(GOLDEN / "near-miss.tsv")
    strong = [q for lg, q in rows if searcher.search(q, prefer=lg).hits[0].confidence == "strong"]
    assert strong == []


def test_strong_answers_are_right(searcher: Searcher) -> None:
    rows = read_tsv(GOLDEN / "demo.tsv")
    strong = [
        (query, slug, hit.slug)
        for lang, query, slug in rows
        if (hit := searcher.search(query, prefer=lang).hits[0]).confidence == "strong"
    ]
    wrong = [s for s in strong if s[2] not in s[1].split("|")]
    assert len(strong) >= len(rows) // 2 and len(wrong) <= len(strong) // 20, wrong


def test_the_answer_model_reads_words_no_article_uses_and_the_lead_of_the_best(
    searcher: Searcher,
) -> None:
    """Evidence of the top hit: every word of a question about football is unknown to
    the shop and none matches; a plain shop question uses only known words and its
    article leads the others by meaning. The evidence is not served to visitors."""
    off = searcher.search("who won the football world cup in 2018", lang="en")
    evidence = off.hits[0].evidence
    assert evidence is not None and evidence.unknown == 1.0 and evidence.lexical == 0.0
    assert not off.answered
    plain = searcher.search("koliko traje dostava na otoke", lang="hr")
    evidence = plain.hits[0].evidence
    assert evidence is not None and evidence.unknown == 0.0 and evidence.margin >= 0.0
    assert plain.answered and plain.hits[0].confidence == "strong"
    assert "evidence" not in plain.hits[0].to_dict()


def test_croatian_without_diacritics_finds_the_same_article(searcher: Searcher) -> None:
    with_marks = searcher.search("plaćanje pouzećem", lang="hr").hits[0].slug
    without = searcher.search("placanje pouzecem", lang="hr").hits[0].slug
    assert with_marks == without == "nacini-placanja"


def test_snippets_highlight_matches_and_escape_text(searcher: Searcher) -> None:
    hit = searcher.search("povrat novca na karticu", lang="hr").hits[0]
    assert "<mark>" in hit.snippet_html
    assert "<mark>" not in hit.snippet
    hit = searcher.search('<b onmouseover="x">refund</b>', lang="en").hits[0]
    assert "<b " not in hit.snippet_html


# nDCG@10 recorded with the real model on 2026-11-25 (docs/search-quality.md): en 0.979,
# hr 0.949. A change that loses more than two points fails.
RECORDED_NDCG = {"en": 0.959, "hr": 0.929}


def test_demo_golden_sets_do_not_regress(searcher: Searcher) -> None:
    from kb.search.evaluate import evaluate, load_golden

    labelled = load_golden(GOLDEN / "demo.tsv") + load_golden(GOLDEN / "demo-must.tsv")
    for lang, floor in RECORDED_NDCG.items():
        result = evaluate(searcher, [q for q in labelled if q.lang == lang])
        assert result.ndcg10 >= floor, f"{lang} nDCG@10 {result.ndcg10:.3f} < {floor}"
        hybrid_beats_parts = [
            evaluate(searcher, [q for q in labelled if q.lang == lang], mode).ndcg10
            for mode in ("lexical", "dense")
        ]
        assert result.ndcg10 >= max(hybrid_beats_parts), (lang, hybrid_beats_parts)


def test_a_question_with_no_answer_in_its_language_falls_back(searcher: Searcher) -> None:
    result = searcher.search("koliko košta dostava", prefer="en")
    assert result.lang == "hr"  # the words are Croatian, so the search is too
    english_only = searcher.search("refund to card", lang="en")
    assert english_only.fallback_from is None and english_only.hits[0].slug == "refunds"


def test_a_croatian_question_finds_an_english_only_answer_by_meaning(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """Nothing Croatian answers it and it shares no word with the English article: only
    the multilingual vectors can find it. It comes back labelled as the English answer
    to a Croatian question (what the page shows and translation demand counts)."""
    articles = tmp_path / "articles"
    for rel in ["hr/dostava", "hr/placanje", "en/rewards", "en/delivery"]:
        shutil.copytree(ARTICLES / rel, articles / rel)
    settings = Settings(articles_dir=articles, index_dir=tmp_path / "index")
    build_index(settings, embedder, quiet=True)
    searcher = Searcher(SearchIndex.load(settings.index_dir, embedder.fingerprint), embedder)
    result = searcher.search("kako skupljati bodove u programu vjernosti", prefer="hr")
    assert result.fallback_from == "hr" and result.answered
    assert result.hits[0].lang == "en" and result.hits[0].slug == "bura-club"
