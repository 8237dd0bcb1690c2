"""Fusion: ranking by reciprocal rank (no score scale to tune), confidence from absolute
evidence - bounded, monotone, and zero without evidence (the weighted sum) or a
probability that more evidence never lowers (the answer model), so it can be compared
with an answer threshold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.calibration import SIGNS
from kb.search.fusion import (
    FEATURES,
    PROFILES,
    AnswerModel,
    Confidence,
    Evidence,
    label,
    lexical_confidence,
    profile_for,
    rrf,
)

CONFIDENCES = st.sampled_from([c for p in PROFILES.values() for c in p.confidence.values()])
MODELS = st.sampled_from(
    [c.model for p in PROFILES.values() for c in p.confidence.values() if c.model is not None]
)
UNIT = st.floats(0.0, 1.0)
COSINE = st.floats(-1.0, 1.0)
RANK = st.one_of(st.none(), st.integers(1, 10_000))


def test_every_profile_weighs_its_signals_to_one_and_has_a_default() -> None:
    for profile in PROFILES.values():
        assert "default" in profile.confidence and "default" in profile.thresholds
        for c in profile.confidence.values():
            assert abs(c.dense_weight + c.lexical_weight - 1.0) < 1e-9
            assert -1 <= c.dense_floor < c.dense_ceiling <= 1


def test_an_unknown_model_gets_the_default_profile_until_calibrated() -> None:
    assert profile_for("/models/some-local-folder") is profile_for("multilingual-e5-small")


@given(conf=CONFIDENCES, cosine=COSINE, cov=UNIT, rel=UNIT, heading=UNIT)
@settings(max_examples=300)
def test_confidence_stays_between_zero_and_one(
    conf: Confidence, cosine: float, cov: float, rel: float, heading: float
) -> None:
    dense = conf.dense_signal(cosine)
    assert 0.0 <= dense <= 1.0
    assert 0.0 <= conf.score(dense, lexical_confidence(cov, rel), heading) <= 1.0


@given(
    conf=CONFIDENCES,
    cosines=st.tuples(COSINE, COSINE).map(sorted),
    covs=st.tuples(UNIT, UNIT).map(sorted),
    rels=st.tuples(UNIT, UNIT).map(sorted),
    headings=st.tuples(UNIT, UNIT).map(sorted),
)
@settings(max_examples=300)
def test_more_evidence_never_lowers_confidence(
    conf: Confidence, cosines: list, covs: list, rels: list, headings: list
) -> None:
    low = conf.score(
        conf.dense_signal(cosines[0]), lexical_confidence(covs[0], rels[0]), headings[0]
    )
    high = conf.score(
        conf.dense_signal(cosines[1]), lexical_confidence(covs[1], rels[1]), headings[1]
    )
    assert high >= low - 1e-12


@given(conf=CONFIDENCES, rel=UNIT, heading=UNIT)
def test_unrelated_meaning_and_no_matching_word_is_zero_confidence(
    conf: Confidence, rel: float, heading: float
) -> None:
    """BM25's relative rank and a matching heading mean nothing when no query word is in
    the section."""
    assert (
        conf.score(conf.dense_signal(conf.dense_floor), lexical_confidence(0.0, rel), heading) == 0
    )


@given(ranks=st.lists(RANK, min_size=2, max_size=3), weights=st.data())
def test_rrf_is_one_for_first_everywhere_and_never_above(
    ranks: list, weights: st.DataObject
) -> None:
    ws = weights.draw(st.lists(st.floats(0.1, 3.0), min_size=len(ranks), max_size=len(ranks)))
    assert abs(rrf([1] * len(ranks), ws) - 1.0) < 1e-9
    assert 0.0 <= rrf(ranks, ws) <= 1.0 + 1e-12


@given(a=st.integers(1, 500), b=st.integers(1, 500), other=RANK)
def test_rrf_prefers_the_better_rank_and_rewards_agreement(
    a: int, b: int, other: int | None
) -> None:
    low, high = sorted((a, b))
    assert rrf([low, other], [1, 1]) >= rrf([high, other], [1, 1])
    assert rrf([low, low], [1, 1]) > rrf([low, None], [1, 1])


EVIDENCE = st.builds(
    Evidence,
    cosine=st.floats(0.5, 1.0),
    lexical=UNIT,
    heading=UNIT,
    unknown=UNIT,
    margin=st.floats(-0.2, 0.2),
)


def test_the_default_model_answers_with_its_model_in_both_languages() -> None:
    e5 = profile_for("multilingual-e5-small")
    for lang in ("en", "hr"):
        assert e5.confidence_for(lang).model is not None
        assert 0 < e5.thresholds[lang] <= e5.strong[lang] < 1
    assert e5.confidence_version > 1  # its thresholds are on the model's scale


@given(model=MODELS, evidence=EVIDENCE, feature=st.sampled_from(FEATURES), more=UNIT)
@settings(max_examples=300)
def test_more_evidence_never_lowers_the_probability(
    model: AnswerModel, evidence: Evidence, feature: str, more: float
) -> None:
    """Each weight has its feature's sign: more cosine, lexical share, heading match or
    lead over the next article never lowers it; more unknown words never raise it."""
    p = model.probability(evidence)
    assert 0.0 < p < 1.0
    moved = getattr(evidence, feature) + SIGNS[feature] * more * 0.1
    higher = Evidence(**{**evidence.__dict__, feature: moved})
    assert model.probability(higher) >= p - 1e-12


@given(threshold=UNIT, confidence=UNIT)
def test_labels_follow_threshold_and_measured_strong(threshold: float, confidence: float) -> None:
    strong = min(1.0, threshold + 0.2)
    got = label(confidence, threshold, strong)
    assert got == (
        "strong" if confidence >= strong else "partial" if confidence >= threshold else "weak"
    )
    # a calibrated threshold above the measured "strong" leaves nothing merely partial
    assert label(threshold, threshold, threshold / 2) == "strong"
