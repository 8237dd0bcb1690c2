"""The event store against a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from kb.insights import schema
from kb.insights.events import EventStore
from kb.settings import Settings
from tests.helpers import PG_URL


def _pg_engine(search_path: str) -> sa.Engine:
    url = "postgresql+psycopg://" + PG_URL.split("://", 1)[1]
    return sa.create_engine(url, connect_args={"options": f"-csearch_path={search_path}"})


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict]:
    """(url, engine kwargs): a fresh SQLite file, or a fresh schema on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite3'}", {}
    return PG_URL, {"schema": request.getfixturevalue("pg_schema")}


def open_store(url: str, extra: dict, **kwargs: object) -> EventStore:
    engine = _pg_engine(extra["schema"]) if "schema" in extra else None
    return EventStore(url, engine=engine, **kwargs).open()  # type: ignore[arg-type]


def record(store: EventStore, n: int, session: str = "s1") -> list[str]:
    return [
        store.record_search(
            session_id=session,
            query=f"question {i}",
            lang="en",
            results=3,
            best_score=0.5,
            answered=i % 2 == 0,
            slugs=["a", "b"],
            latency_ms=5.0,
        )
        for i in range(n)
    ]


def test_events_are_written_and_scrubbed(store_url: tuple[str, dict]) -> None:
    url, extra = store_url
    store = open_store(url, extra, order_pattern=Settings().order_number_pattern)
    sid = store.record_search(
        session_id="s1",
        query="moj mail ana@primjer.hr i 091 234 5678",
        lang="hr",
        results=0,
        best_score=None,
        answered=False,
        slugs=[],
        latency_ms=3.2,
    )
    store.record_click(session_id="s1", lang="hr", slug="kontakt", search_id=sid, position=1)
    store.record_vote(
        session_id="s1",
        lang="hr",
        slug="kontakt",
        helpful=False,
        search_id=sid,
        reason="unclear",
        comment="kartica 4111 1111 1111 1111",
    )
    assert store.flush()
    assert store.counts() == {
        "searches": 1,
        "clicks": 1,
        "votes": 1,
        "copies": 0,
        "contacts": 0,
        "agent_messages": 0,
    }
    [row] = store.rows(schema.searches)
    assert row["query"] == "moj mail [email] i [phone]"
    assert store.rows(schema.votes)[0]["comment"] == "kartica [card]"
    store.close()


def test_reopening_never_drops_data(store_url: tuple[str, dict]) -> None:
    url, extra = store_url
    store = open_store(url, extra)
    record(store, 5)
    store.close()
    again = open_store(url, extra)
    assert again.counts()["searches"] == 5
    with again.engine.connect() as conn:
        versions = conn.execute(sa.select(schema.schema_version.c.version)).scalars().all()
    assert versions == [m[0] for m in schema.MIGRATIONS]
    again.close()


def test_an_older_database_is_upgraded_in_place(store_url: tuple[str, dict]) -> None:
    """A database made by an earlier release (migrations 1-2) keeps its rows and gains
    the new table and column on the next start."""
    url, extra = store_url
    store = EventStore(url, engine=_pg_engine(extra["schema"]) if extra else None)
    with store.engine.begin() as conn:
        schema.schema_version.create(conn)
        ops = Operations(MigrationContext.configure(conn))
        for version, _, step in schema.MIGRATIONS[:2]:
            step(ops)
            conn.execute(
                schema.schema_version.insert().values(version=version, applied_at=sa.func.now())
            )
        conn.execute(
            sa.text(
                "INSERT INTO searches (id, ts, session_id, source, lang, query, results, answered,"
                " slugs, latency_ms) VALUES ('old1', CURRENT_TIMESTAMP, 's', 'page', 'en', 'q', 0,"
                " false, '[]', 1.0)"
            )
        )
    store.engine.dispose()
    upgraded = open_store(url, extra)
    upgraded.record_search(
        session_id="s",
        query="new",
        lang="hr",
        results=1,
        best_score=0.9,
        answered=True,
        slugs=["x"],
        latency_ms=1.0,
        hit_lang="en",
    )
    upgraded.record_contact(session_id="s", lang="hr", channel="email", query="pomoć")
    assert upgraded.flush()
    rows = {r["id"]: r for r in upgraded.rows(schema.searches)}
    assert rows["old1"]["hit_lang"] is None
    assert [r["hit_lang"] for k, r in rows.items() if k != "old1"] == ["en"]
    assert upgraded.counts()["contacts"] == 1
    upgraded.close()


def test_prune_deletes_only_old_events(store_url: tuple[str, dict]) -> None:
    url, extra = store_url
    store = open_store(url, extra)
    record(store, 3)
    store.flush()
    with store.engine.begin() as conn:
        conn.execute(
            schema.searches.update()
            .where(schema.searches.c.query == "question 0")
            .values(ts=sa.func.now() - sa.text("INTERVAL '100 days'"))
            if "schema" in extra
            else sa.text(
                "UPDATE searches SET ts = datetime('now', '-100 days') WHERE query = 'question 0'"
            )
        )
    assert store.prune(90)["searches"] == 1
    assert store.counts()["searches"] == 2
    store.close()


def _worker(url: str, schema_name: str | None, worker: int, n: int) -> None:
    engine = _pg_engine(schema_name) if schema_name else None
    store = EventStore(url, engine=engine).open()
    for i in range(n):
        store.record_search(
            session_id=f"w{worker}",
            query=f"q{worker}-{i}",
            lang="en",
            results=1,
            best_score=0.4,
            answered=True,
            slugs=["x"],
            latency_ms=1.0,
        )
        if i % 10 == 0:
            store.record_vote(session_id=f"w{worker}", lang="en", slug="x", helpful=True)
    store.close(timeout=60)


def test_no_event_is_lost_with_several_writer_processes(store_url: tuple[str, dict]) -> None:
    url, extra = store_url
    open_store(url, extra).close()  # migrate once, as the server's start-up does
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(url, extra.get("schema"), w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = open_store(url, extra)
    assert store.counts() == {
        "searches": 600,
        "clicks": 0,
        "votes": 60,
        "copies": 0,
        "contacts": 0,
        "agent_messages": 0,
    }
    store.close()


def test_store_down_keeps_events_and_reports_it() -> None:
    store = EventStore("postgresql://postgres@127.0.0.1:1/nothing").open()  # nothing on :1
    record(store, 2)
    assert not store.flush(timeout=1.0)  # kept for retry, not written, nothing raised
    assert store.errors >= 1
    store.close(timeout=0.5)


def test_an_event_the_database_refuses_does_not_block_the_others(
    store_url: tuple[str, dict],
) -> None:
    """One feedback comment with a NUL byte (PostgreSQL refuses those) or one malformed
    event used to be retried forever with its whole batch, and nothing after it was ever
    written. NUL is removed on the way in; anything else refused is dropped alone."""
    url, extra = store_url
    store = open_store(url, extra)
    store.record_vote(session_id="s", lang="en", slug="x", helpful=False, comment="a\x00b")
    store.record_click(session_id="s", lang=None, slug="x", search_id=None)  # type: ignore[arg-type]
    record(store, 3)
    assert store.flush(15), "the events after the refused one are written"
    assert store.counts() == {
        "searches": 3,
        "clicks": 0,
        "votes": 1,
        "copies": 0,
        "contacts": 0,
        "agent_messages": 0,
    }
    [vote] = store.rows(schema.votes)
    assert vote["comment"] == "ab"
    record(store, 2)
    assert store.flush(15) and store.counts()["searches"] == 5
    store.close()


def test_close_writes_every_queued_event_first(store_url: tuple[str, dict]) -> None:
    """What a stopping worker does: close() right after a burst, and all of it is stored."""
    url, extra = store_url
    store = open_store(url, extra)
    record(store, 700)  # more than one batch
    assert store.close() == 0
    again = open_store(url, extra)
    assert again.counts()["searches"] == 700
    again.close()


def test_close_with_the_database_down_says_how_many_events_were_not_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = EventStore("postgresql://postgres@127.0.0.1:1/nothing", shutdown_timeout=0.5).open()
    record(store, 3)
    assert store.close() == 3
    assert "3 events not written at shutdown" in caplog.text
    assert "KB_SHUTDOWN_TIMEOUT" in caplog.text


def test_an_event_recorded_after_close_is_written_by_its_caller(
    store_url: tuple[str, dict],
) -> None:
    """A request that outlives the shutdown still has its event stored (no writer is left
    to take it from the queue)."""
    url, extra = store_url
    store = open_store(url, extra)
    record(store, 2)
    store.close()
    record(store, 1)
    assert store.pending == 0
    again = open_store(url, extra)
    assert again.counts()["searches"] == 3
    again.close()
