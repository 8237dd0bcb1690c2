"""Fusion of the dense and lexical signals: bounded, monotone, and zero without evidence,
so the fused confidence can be compared with an absolute answer threshold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search import DEFAULT_FUSION, FUSION, Fusion

FUSIONS = st.sampled_from([*FUSION.values(), DEFAULT_FUSION])
UNIT = st.floats(0.0, 1.0)
COSINE = st.floats(-1.0, 1.0)


def test_every_language_weighs_its_signals_to_one() -> None:
    for fusion in [*FUSION.values(), DEFAULT_FUSION]:
        assert abs(fusion.dense_weight + fusion.lexical_weight - 1.0) < 1e-9
        assert 0 <= fusion.dense_floor < fusion.dense_ceiling <= 1


@given(fusion=FUSIONS, cosine=COSINE, cov=UNIT, rel=UNIT, heading=UNIT)
@settings(max_examples=500)
def test_scores_stay_between_zero_and_one(
    fusion: Fusion, cosine: float, cov: float, rel: float, heading: float
) -> None:
    dense = fusion.dense_signal(cosine)
    assert 0.0 <= dense <= 1.0
    score, confidence = fusion.combine(dense, cov, rel, heading)
    assert 0.0 <= score <= 1.0 and 0.0 <= confidence <= 1.0


@given(
    fusion=FUSIONS,
    cosines=st.tuples(COSINE, COSINE).map(sorted),
    covs=st.tuples(UNIT, UNIT).map(sorted),
    rels=st.tuples(UNIT, UNIT).map(sorted),
    headings=st.tuples(UNIT, UNIT).map(sorted),
)
@settings(max_examples=500)
def test_more_evidence_never_lowers_score_or_confidence(
    fusion: Fusion, cosines: list, covs: list, rels: list, headings: list
) -> None:
    low = fusion.combine(fusion.dense_signal(cosines[0]), covs[0], rels[0], headings[0])
    high = fusion.combine(fusion.dense_signal(cosines[1]), covs[1], rels[1], headings[1])
    assert high[0] >= low[0] - 1e-12 and high[1] >= low[1] - 1e-12


@given(fusion=FUSIONS, cosine=st.floats(-1.0, 0.15), rel=UNIT, heading=UNIT)
@settings(max_examples=300)
def test_no_matching_word_and_unrelated_meaning_is_zero_confidence(
    fusion: Fusion, cosine: float, rel: float, heading: float
) -> None:
    """BM25's relative rank and a matching heading mean nothing when no query word is in
    the section: the confidence of such a section is exactly zero."""
    _, confidence = fusion.combine(fusion.dense_signal(cosine), 0.0, rel, heading)
    assert confidence == 0.0


@given(fusion=FUSIONS, dense=UNIT, cov=UNIT, rel=UNIT)
@settings(max_examples=300)
def test_the_heading_bonus_is_bounded(fusion: Fusion, dense: float, cov: float, rel: float) -> None:
    plain = fusion.combine(dense, cov, rel, 0.0)
    boosted = fusion.combine(dense, cov, rel, 1.0)
    assert boosted[0] - plain[0] <= 0.1 + 1e-12
