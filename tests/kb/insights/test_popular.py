"""Popular questions: answered, clicked, asked in several sessions, never personal."""

from __future__ import annotations

from pathlib import Path

from kb.insights.events import EventStore
from kb.insights.popular import popular_queries, related_queries


def search(
    store: EventStore,
    session: str,
    query: str,
    *,
    answered: bool = True,
    clicked: bool = True,
    source: str = "page",
    lang: str = "en",
) -> None:
    search_id = store.record_search(
        session_id=session,
        query=query,
        lang=lang,
        results=3,
        best_score=0.9 if answered else 0.2,
        answered=answered,
        slugs=["refunds"],
        latency_ms=5.0,
        source=source,
    )
    if clicked:
        store.record_click(session_id=session, lang=lang, slug="refunds", search_id=search_id)


def test_only_answered_clicked_questions_of_three_sessions_are_popular(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'events.sqlite3'}").open()
    for session in ("a", "b", "c"):
        search(store, session, "How long does a refund take?")
        search(store, session, "refund to card", answered=False)  # not answered
        search(store, session, "gift cards", clicked=False)  # nobody opened a result
        search(store, session, "refund by agent", source="agent")  # not a customer's
    for _ in range(5):
        search(store, "d", "one person asking again")  # one session, however often
    search(store, "a", "ana@example.com refund")  # stored scrubbed: "[email] refund"
    search(store, "b", "[email] refund")
    search(store, "c", "[email] refund")
    search(store, "e", "how long does a refund take")
    search(store, "f", "Kako vratiti proizvod", lang="hr")
    store.flush()
    popular = popular_queries(store.answered_queries())
    store.close()
    # the spelling most sessions used, one entry for case and punctuation variants
    assert popular == {"en": ["How long does a refund take?"]}


def test_personal_data_never_becomes_popular_even_if_stored_unscrubbed() -> None:
    rows = [("en", "refund for 4111 1111 1111 1111", s) for s in "abc"]
    rows += [("en", "call me on +385 91 234 5678", s) for s in "abc"]
    rows += [("en", "refund to card", s) for s in "abc"]
    assert popular_queries(rows) == {"en": ["refund to card"]}


def test_related_questions_share_a_word_most_shared_first() -> None:
    popular = ["delivery to islands", "refund to card", "how long does a refund take", "gift card"]
    assert related_queries("refund takes long", "en", popular) == [
        "how long does a refund take",
        "refund to card",
    ]
    # never the question itself, whatever its case and punctuation
    assert related_queries("Refund to card?", "en", popular) == [
        "how long does a refund take",
        "gift card",
    ]
    assert related_queries("the and of", "en", popular) == []
