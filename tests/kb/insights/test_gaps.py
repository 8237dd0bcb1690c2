"""Gap topics: the questions the help center failed, grouped by meaning. One missing topic
asked three ways is one topic; two missing topics are never one."""

from __future__ import annotations

import pytest

from kb.insights import grouping
from kb.models.embeddings import SentenceTransformerEmbedder

# each inner list: one missing topic, asked the ways customers ask it
TOPICS = {
    "hr": [
        ["prodajete li rabljene mobitele", "imate li polovne mobitele"],
        ["recept za sarmu", "kako napraviti sarmu"],
        ["zamatanje poklona", "možete li zapakirati poklon"],
        ["koliko traje dostava u Njemačku"],
    ],
    "en": [
        ["do you install washing machines", "washing machine installation service"],
        ["do you sell used phones", "can I buy a second-hand phone"],
        ["gift wrapping", "can you wrap my present"],
        ["what is the capital of France"],
    ],
}


@pytest.mark.parametrize("lang", ["hr", "en"])
def test_one_topic_asked_two_ways_is_one_gap_and_two_topics_are_two(
    lang: str, embedder: SentenceTransformerEmbedder
) -> None:
    texts = [q for topic in TOPICS[lang] for q in topic]
    truth = [n for n, topic in enumerate(TOPICS[lang]) for _ in topic]
    labels = grouping.cluster(texts, grouping.similarity_matrix(texts, lang, embedder))
    found: dict[int, set[int]] = {}
    for label, topic in zip(labels, truth, strict=True):
        found.setdefault(label, set()).add(topic)
    assert all(len(topics) == 1 for topics in found.values()), f"topics merged: {found}"
    assert len(found) == len(TOPICS[lang]), f"a topic split: {labels}"
