"""The event store: searches, clicks and votes, on SQLite (default) or PostgreSQL.

Writes go through a queue drained by one background thread in batches, so logging never
adds latency to a search and a database outage never breaks one: failed batches are kept
and retried, and the failure is logged. ``flush()`` waits until everything is written
(tests); ``close()`` does the same at shutdown, bounded by ``shutdown_timeout``: a worker
stopped by SIGTERM writes every queued event before it exits, and when the database does
not take them in time the count left unwritten is logged, never dropped silently.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.errors import ConfigError, EventStoreUnavailable
from kb.insights import schema
from kb.insights.writer import QueuedWriter
from kb.pii import scrub

log = logging.getLogger("kb.insights.events")
VOTE_REASONS = ("outdated", "unclear", "not_answered", "other")
# searches customers make themselves; "agent" searches are made on a customer's behalf
CUSTOMER_SOURCES = frozenset({"page", "api", "contact"})


def now() -> datetime:
    return datetime.now(UTC)


def aware(ts: datetime) -> datetime:
    """SQLite hands back naive timestamps; they were written in UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def _reading() -> Iterator[None]:
    """Reads that fail on the database raise :class:`EventStoreUnavailable`, so callers
    (the web's reports) recognise an outage without knowing SQLAlchemy."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        raise EventStoreUnavailable(str(exc)) from exc


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` (WAL, waits on locks) or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if url.startswith("postgresql+"):
        return sa.create_engine(url, pool_pre_ping=True)
    raise ConfigError(f"KB_DATABASE_URL must be sqlite:///<path> or postgresql://..., not {url!r}")


class EventStore:
    def __init__(
        self,
        url: str,
        *,
        order_pattern: str | None = None,
        engine: Engine | None = None,
        shutdown_timeout: float = 30.0,
    ):
        self.url = url
        self.engine = engine or make_engine(url)
        self.order_pattern = order_pattern
        self.shutdown_timeout = shutdown_timeout
        self._writer = QueuedWriter(self.engine, self._ensure_schema)
        self._startup_errors = 0
        self._migrated = False

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> EventStore:
        """Migrate and start the writer. A database that is down is logged, not fatal:
        the writer keeps the events and migrates once it can connect."""
        try:
            self._ensure_schema()
        except sa.exc.SQLAlchemyError as exc:
            self._startup_errors += 1
            log.error("event store unavailable at start-up (events are kept): %s", exc)
        self._writer.start()
        return self

    def close(self, timeout: float | None = None) -> int:
        """Write every queued event, then stop the writer; returns the events left unwritten
        (waiting at most ``timeout``, default ``shutdown_timeout``: see kb.insights.writer)."""
        left = self._writer.close(self.shutdown_timeout if timeout is None else timeout)
        self.engine.dispose()
        return left

    @property
    def pending(self) -> int:
        """Events queued or being retried, not yet in the database."""
        return self._writer.pending

    @property
    def errors(self) -> int:
        """Failed writes and start-ups so far (each logged)."""
        return self._writer.errors + self._startup_errors

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is written; False if that did not happen in time."""
        return self._writer.flush(timeout)

    def _enqueue(self, table: sa.Table, row: dict[str, Any]) -> None:
        self._writer.put(table, row)

    def _ensure_schema(self) -> None:
        """Apply missing migrations; several workers may race, the loser re-checks."""
        if self._migrated:
            return
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    schema.migrate(conn)
                break
            except sa.exc.OperationalError:
                raise
            except sa.exc.SQLAlchemyError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        self._migrated = True

    def record_search(
        self,
        *,
        session_id: str,
        query: str,
        lang: str | None,
        results: int,
        best_score: float | None,
        answered: bool,
        slugs: Iterable[str],
        latency_ms: float,
        source: str = "page",
        search_id: str | None = None,
        hit_lang: str | None = None,
        message_id: str | None = None,
        unit: str | None = None,
    ) -> str:
        search_id = search_id or new_id()
        self._enqueue(
            schema.searches,
            {
                "id": search_id,
                "ts": now(),
                "session_id": session_id,
                "source": source,
                "lang": lang,
                "query": scrub(query, self.order_pattern)[:1000],
                "results": results,
                "best_score": best_score,
                "answered": answered,
                "slugs": json.dumps(list(slugs)),
                "latency_ms": latency_ms,
                "hit_lang": hit_lang,
                "message_id": message_id,
                "unit": unit,
            },
        )
        return search_id

    def record_agent_message(
        self,
        *,
        session_id: str,
        lang: str | None,
        questions: int,
        answered: int,
        units: int,
        latency_ms: float,
        message_id: str | None = None,
    ) -> str:
        """One pasted message, counted once; its units are searches with its id."""
        message_id = message_id or new_id()
        self._enqueue(
            schema.agent_messages,
            {
                "id": message_id,
                "ts": now(),
                "session_id": session_id,
                "lang": lang,
                "questions": questions,
                "answered": answered,
                "units": units,
                "latency_ms": latency_ms,
            },
        )
        return message_id

    def record_click(
        self,
        *,
        session_id: str,
        lang: str,
        slug: str,
        search_id: str | None,
        section_id: str | None = None,
        position: int | None = None,
    ) -> None:
        self._enqueue(
            schema.clicks,
            {
                "ts": now(),
                "search_id": search_id,
                "session_id": session_id,
                "lang": lang,
                "slug": slug,
                "section_id": section_id,
                "position": position,
            },
        )

    def record_vote(
        self,
        *,
        session_id: str,
        lang: str,
        slug: str,
        helpful: bool,
        search_id: str | None = None,
        reason: str | None = None,
        comment: str | None = None,
    ) -> None:
        if reason is not None and reason not in VOTE_REASONS:
            reason = "other"
        self._enqueue(
            schema.votes,
            {
                "ts": now(),
                "search_id": search_id,
                "session_id": session_id,
                "lang": lang,
                "slug": slug,
                "helpful": helpful,
                "reason": reason,
                "comment": scrub(comment, self.order_pattern)[:1000] if comment else None,
            },
        )

    def record_copy(
        self,
        *,
        session_id: str,
        lang: str,
        slug: str,
        section_id: str | None,
        search_id: str | None,
        fmt: str = "text",
        sections: Iterable[str] = (),
    ) -> None:
        """An agent copied a suggested reply (the section is being reused) or a combined
        draft (one copy, ``sections`` it reused as "lang/slug#section")."""
        sections = list(sections)
        self._enqueue(
            schema.copies,
            {
                "ts": now(),
                "search_id": search_id,
                "session_id": session_id,
                "lang": lang,
                "slug": slug,
                "section_id": section_id,
                "format": fmt,
                "sections": json.dumps(list(sections)) if sections else None,
            },
        )

    def record_contact(
        self, *, session_id: str, lang: str, channel: str, query: str | None = None
    ) -> None:
        """The visitor went on to a support channel: their session was not self-served."""
        self._enqueue(
            schema.contacts,
            {
                "ts": now(),
                "session_id": session_id,
                "lang": lang,
                "channel": channel[:16],
                "query": scrub(query, self.order_pattern)[:1000] if query else None,
            },
        )

    # -- maintenance and reading -----------------------------------------------------
    def prune(self, days: int) -> dict[str, int]:
        """Delete events older than ``days``; returns rows deleted per table."""
        cutoff = now() - timedelta(days=days)
        deleted = {}
        with _reading(), self.engine.begin() as conn:
            for table in schema.EVENT_TABLES:
                result = conn.execute(table.delete().where(table.c.ts < cutoff))
                deleted[table.name] = result.rowcount or 0
        return deleted

    def counts(self) -> dict[str, int]:
        with _reading(), self.engine.connect() as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in schema.EVENT_TABLES
            }

    def view_counts(self, days: int = 30) -> dict[tuple[str, str], int]:
        """Article views per (lang, slug) in the last ``days``."""
        t = schema.clicks
        query = (
            sa.select(t.c.lang, t.c.slug, sa.func.count())
            .where(t.c.ts >= now() - timedelta(days=days))
            .group_by(t.c.lang, t.c.slug)
        )
        with _reading(), self.engine.connect() as conn:
            return {(lang, slug): int(n) for lang, slug, n in conn.execute(query)}

    def answered_queries(self, days: int = 90) -> list[tuple[str | None, str, str]]:
        """(lang, query, session) of each customer search in the last ``days`` that was
        answered and whose results were clicked, once per session: the raw material of
        popular-question suggestions (:mod:`kb.insights.popular` decides what is shown)."""
        s, c = schema.searches, schema.clicks
        query = (
            sa.select(s.c.lang, s.c.query, s.c.session_id)
            .join(c, c.c.search_id == s.c.id)
            .where(
                s.c.ts >= now() - timedelta(days=days),
                s.c.answered.is_(True),
                s.c.source.in_(sorted(CUSTOMER_SOURCES)),
            )
            .distinct()
        )
        with _reading(), self.engine.connect() as conn:
            return [(lang, q, session) for lang, q, session in conn.execute(query)]

    def rows(self, table: sa.Table, since: datetime | None = None) -> list[dict[str, Any]]:
        """A table's events, oldest first, with UTC-aware ``ts`` whatever the database."""
        query = sa.select(table)
        if since is not None:
            query = query.where(table.c.ts >= since)
        with _reading(), self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(table.c.ts))]
        for row in rows:  # one kind of timestamp for every reader: UTC-aware
            row["ts"] = aware(row["ts"])
        return rows
