"""Synonym suggestions from the search log: when a visitor's search finds nothing and their
next search in the same visit, within the reformulation window, finds an article they
open, the words they swapped are suggested for `_synonyms.yml`. Everything else a visitor
does is no evidence. Read from real events in a real SQLite event store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kb.insights import events
from kb.insights.events import EventStore
from kb.insights.gaps import REFORMULATION_WINDOW
from kb.insights.synonyms import Suggestion, suggest


class Log:
    """A real event store and the clock its events are stamped with: each search is
    logged ``minute`` minutes after ``start``, as the site logs it, and clicked if opened."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.start = events.now() - timedelta(hours=2)

    def search(
        self,
        session: str,
        query: str,
        *,
        minute: float,
        answered: bool,
        opened: bool = False,
        lang: str = "en",
        source: str = "page",
    ) -> None:
        at = self.start + timedelta(minutes=minute)
        with pytest.MonkeyPatch.context() as clock:
            clock.setattr(events, "now", lambda: at)
            search_id = self.store.record_search(
                session_id=session,
                query=query,
                lang=lang,
                results=3,
                best_score=0.9 if answered else 0.2,
                answered=answered,
                slugs=["cash-on-delivery", "returns", "gift-cards"],
                latency_ms=5.0,
                source=source,
            )
            if opened:
                self.store.record_click(
                    session_id=session, lang=lang, slug="cash-on-delivery", search_id=search_id
                )

    def reformulation(
        self,
        session: str,
        failed: str,
        worked: str,
        *,
        minute: float = 0,
        lang: str = "en",
        source: str = "page",
    ) -> None:
        """A search that found nothing, then a minute later one whose answer was opened."""
        self.search(session, failed, minute=minute, answered=False, lang=lang, source=source)
        self.search(
            session, worked, minute=minute + 1, answered=True, opened=True, lang=lang, source=source
        )

    def suggestions(self, **kwargs: int) -> list[Suggestion]:
        assert self.store.flush()
        return suggest(self.store, **kwargs)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    store = EventStore(f"sqlite:///{tmp_path / 'events.sqlite3'}").open()
    yield Log(store)
    store.close()


def test_a_failed_search_reformulated_into_an_opened_answer_suggests_the_swapped_words(
    log: Log,
) -> None:
    log.reformulation("visitor-1", "pouzeće", "plaćanje kod preuzimanja", lang="hr")
    assert log.suggestions() == [
        Suggestion(
            lang="hr",
            failed="pouzeće",
            worked="plaćanje preuzimanja",  # "kod" is a stopword: no part of the swap
            count=1,
            example=("pouzeće", "plaćanje kod preuzimanja"),
        )
    ]


def test_only_the_words_that_differ_are_suggested_and_stopwords_are_not_words(
    log: Log,
) -> None:
    log.reformulation("visitor-1", "what is cod", "how do I pay on delivery")
    log.reformulation("visitor-2", "parcel locker", "parcel pickup point", minute=10)
    found = {(s.failed, s.worked) for s in log.suggestions()}
    assert found == {("cod", "pay delivery"), ("locker", "pickup point")}


def test_the_same_swap_by_several_visitors_is_counted_and_comes_first(log: Log) -> None:
    log.reformulation("visitor-1", "parcel locker", "pickup point", minute=0)
    for n, minute in enumerate((5, 10, 15)):
        log.reformulation(f"visitor-{n + 2}", "cod", "pay on delivery", minute=minute)
    first, second = log.suggestions()
    assert (first.failed, first.worked, first.count) == ("cod", "pay delivery", 3)
    assert first.example == ("cod", "pay on delivery")
    assert (second.failed, second.worked, second.count) == ("parcel locker", "pickup point", 1)


def test_only_the_search_right_before_the_one_that_worked_is_paired_with_it(log: Log) -> None:
    log.search("visitor-1", "cod", minute=0, answered=False)
    log.search("visitor-1", "cash on delivery", minute=1, answered=False)
    log.search("visitor-1", "pay on delivery", minute=2, answered=True, opened=True)
    assert [(s.failed, s.worked) for s in log.suggestions()] == [("cash", "pay")]


@pytest.mark.parametrize(
    ("first_answered", "then_answered", "then_opened"),
    [
        (True, True, True),  # the first search found an answer: nothing was missing
        (False, True, False),  # the second found one, but the visitor did not open it
        (False, False, True),  # opened a related article of a search that found nothing
        (False, False, False),  # gave up
    ],
    ids=["first-answered", "answer-not-opened", "second-unanswered", "both-unanswered"],
)
def test_no_suggestion_unless_a_failed_search_is_followed_by_an_opened_answer(
    log: Log, first_answered: bool, then_answered: bool, then_opened: bool
) -> None:
    log.search("visitor-1", "cod", minute=0, answered=first_answered)
    log.search("visitor-1", "pay on delivery", minute=1, answered=then_answered, opened=then_opened)
    assert log.suggestions() == []


def test_a_reformulation_counts_within_the_window_and_not_after_it(log: Log) -> None:
    window = REFORMULATION_WINDOW / timedelta(minutes=1)
    log.search("in-time", "cod", minute=0, answered=False)
    log.search("in-time", "pay on delivery", minute=window, answered=True, opened=True)
    log.search("too-late", "parcel locker", minute=0, answered=False)
    log.search("too-late", "pickup point", minute=window + 1, answered=True, opened=True)
    assert [s.example for s in log.suggestions()] == [("cod", "pay on delivery")]


def test_searches_of_different_visitors_are_never_paired(log: Log) -> None:
    log.search("visitor-1", "cod", minute=0, answered=False)
    log.search("visitor-2", "pay on delivery", minute=1, answered=True, opened=True)
    assert log.suggestions() == []


def test_an_agents_questions_are_no_reformulations_of_each_other(log: Log) -> None:
    """The questions of one pasted message are logged as agent searches in a row: the
    second is a different question, not a better wording of the first."""
    log.reformulation("agent-session", "cod", "pay on delivery", source="agent")
    assert log.suggestions() == []
    log.reformulation("visitor-1", "cod", "pay on delivery", minute=5, source="api")
    assert [s.count for s in log.suggestions()] == [1]


def test_swaps_of_more_than_max_words_are_left_out(log: Log) -> None:
    log.reformulation("visitor-1", "cod cash parcel courier", "pay on delivery")
    assert log.suggestions() == []
    [wide] = log.suggestions(max_words=4)
    assert (wide.failed, wide.worked) == ("cod cash parcel courier", "pay delivery")


def test_a_reformulation_that_only_drops_stopwords_swaps_no_words(log: Log) -> None:
    log.reformulation("visitor-1", "the refund", "refund")
    assert log.suggestions() == []


def test_searches_older_than_the_period_are_left_out(log: Log) -> None:
    log.start = events.now() - timedelta(days=100)
    log.reformulation("visitor-1", "cod", "pay on delivery")
    assert log.suggestions() == []
    assert [s.example for s in log.suggestions(since_days=120)] == [("cod", "pay on delivery")]
