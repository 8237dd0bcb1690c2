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
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.errors import ConfigError, EventStoreUnavailable
from kb.insights import schema
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


@dataclass(frozen=True)
class _Write:
    table: sa.Table
    row: dict[str, Any]


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
        self._queue: queue.Queue[_Write] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._stop = threading.Event()  # closing: retry failed writes sooner
        self._abandon = threading.Event()  # written, or the shutdown timeout expired: exit
        self._closed = False
        self._thread: threading.Thread | None = None
        self.errors = 0
        self._migrated = False

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> EventStore:
        """Migrate and start the writer. A database that is down is logged, not fatal:
        the writer keeps the events and migrates once it can connect."""
        try:
            self._ensure_schema()
        except sa.exc.SQLAlchemyError as exc:
            self.errors += 1
            log.error("event store unavailable at start-up (events are kept): %s", exc)
        self._thread = threading.Thread(target=self._writer, name="kb-events", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> int:
        """Write every queued event, then stop the writer; returns the events left unwritten.

        Waits at most ``timeout`` (default ``shutdown_timeout``) so a database that is down
        cannot hold a stopping server forever; when that expires, how many events were not
        written is logged as an error (the only way they are ever lost). An event recorded
        after this (a request that outlived the shutdown) is written at once, in its caller.
        """
        timeout = self.shutdown_timeout if timeout is None else timeout
        with self._pending_lock:
            self._closed = True  # from now on a late event is written by its caller
        self._stop.set()  # the writer retries sooner: the clock is running
        self.flush(timeout)
        self._abandon.set()
        if self._thread:
            self._thread.join(5.0)
        left = self._pending
        if left:
            log.error(
                "event store: %d events not written at shutdown: the database did not take "
                "them within the shutdown timeout of %.0f s (KB_SHUTDOWN_TIMEOUT)",
                left,
                timeout,
            )
        self.engine.dispose()
        return left

    @property
    def pending(self) -> int:
        """Events queued or being retried, not yet in the database."""
        return self._pending

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is written; False if that did not happen in time."""
        deadline = time.monotonic() + timeout
        with self._pending_lock:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._pending_lock.wait(remaining)
        return True

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

    # -- writing ---------------------------------------------------------------------
    def _enqueue(self, table: sa.Table, row: dict[str, Any]) -> None:
        # PostgreSQL refuses NUL in text; a visitor's comment must not be able to poison a batch
        row = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in row.items()}
        with self._pending_lock:
            closed = self._closed
            if not closed:
                self._pending += 1
                self._queue.put(_Write(table, row))
        if closed:
            self._write_late(_Write(table, row))

    def _write_late(self, item: _Write) -> None:
        """An event recorded after ``close()``: no writer is left, so write it here."""
        try:
            self._write([item])
        except Exception as exc:
            self.errors += 1
            log.error(
                "event store: a %s event not written after shutdown: %s", item.table.name, exc
            )

    def _writer(self) -> None:
        batch: list[_Write] = []
        backoff = 0.1
        while not self._abandon.is_set():
            if not batch:
                try:
                    batch.append(self._queue.get(timeout=0.2))
                except queue.Empty:
                    continue
                while len(batch) < 500:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
            try:
                self._write(batch)
            except (sa.exc.DataError, sa.exc.IntegrityError) as exc:
                # the data, not the database: retrying this batch forever would stop every
                # later event being written, so write one by one and drop what is refused
                self.errors += 1
                log.error("event store refused a batch, writing it event by event: %s", exc)
                remaining = self._write_singly(batch)
                self._done(len(batch) - len(remaining))
                batch = remaining
                if batch:
                    self._abandon.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
                continue
            except Exception as exc:  # keep the batch: the database may come back
                # (also while closing: close() decides when to give up, and logs the count)
                self.errors += 1
                log.error(
                    "event store write failed (%d events kept, retrying): %s", len(batch), exc
                )
                self._abandon.wait(min(backoff, 1.0) if self._stop.is_set() else backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._done(len(batch))
            batch = []
            backoff = 0.1

    def _write_singly(self, batch: list[_Write]) -> list[_Write]:
        """Write each event alone; drop (and log) those the database refuses. Returns the
        events left when the database itself fails midway (kept for the retry)."""
        for i, item in enumerate(batch):
            try:
                self._write([item])
            except (sa.exc.DataError, sa.exc.IntegrityError) as exc:
                log.error("dropping one %s event the database refuses: %s", item.table.name, exc)
            except Exception:
                return batch[i:]
        return []

    def _done(self, n: int) -> None:
        with self._pending_lock:
            self._pending -= n
            self._pending_lock.notify_all()

    def _write(self, batch: list[_Write]) -> None:
        self._ensure_schema()
        by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
        for item in batch:
            by_table.setdefault(item.table.name, (item.table, []))[1].append(item.row)
        with self.engine.begin() as conn:
            for table, rows in by_table.values():
                conn.execute(table.insert(), rows)

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
