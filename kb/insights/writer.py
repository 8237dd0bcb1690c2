"""Events to the database without making a request wait: a queue, one writer thread.

Batches of up to 500 rows are written in one transaction. A batch the database refuses
as data (a constraint) is written row by row and the refused rows are dropped and logged;
a batch that fails because the database is down is kept and retried with backoff. At
close, everything queued is written, bounded by a timeout; what is left is counted and
logged, never dropped silently, and an event recorded after close is written by its
caller.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger("kb.insights.events")
# seconds the writer waits, once an event arrives, for more to write with it: a search
# logs its event before its answer is sent, and a one-row transaction then competed with
# that answer for the interpreter (and cost ~1 ms of CPU a search); flush() and close()
# do not wait
LINGER = 0.1


@dataclass(frozen=True)
class _Write:
    table: sa.Table
    row: dict[str, Any]


class QueuedWriter:
    def __init__(self, engine: Engine, prepare: Callable[[], None]) -> None:
        """``prepare`` runs before each write (the store's migrations, once they can)."""
        self.engine = engine
        self._prepare = prepare
        self._queue: queue.Queue[_Write] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._stop = threading.Event()  # closing: retry failed writes sooner
        self._abandon = threading.Event()  # written, or the shutdown timeout expired: exit
        self._hurry = threading.Event()  # someone waits for the queue to be written: no LINGER
        self._closed = False
        self._thread: threading.Thread | None = None
        self.errors = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._writer, name="kb-events", daemon=True)
        self._thread.start()

    def close(self, timeout: float) -> int:
        """Write every queued event, then stop the writer; returns the events left unwritten.

        Waits at most ``timeout`` so a database that is down
        cannot hold a stopping server forever; when that expires, how many events were not
        written is logged as an error (the only way they are ever lost). An event recorded
        after this (a request that outlived the shutdown) is written at once, in its caller.
        """
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
        return left

    @property
    def pending(self) -> int:
        """Events queued or being retried, not yet in the database."""
        return self._pending

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is written; False if that did not happen in time."""
        deadline = time.monotonic() + timeout
        self._hurry.set()
        try:
            with self._pending_lock:
                while self._pending:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._pending_lock.wait(remaining)
            return True
        finally:
            self._hurry.clear()

    def put(self, table: sa.Table, row: dict[str, Any]) -> None:
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
                self._hurry.wait(LINGER)
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
        self._prepare()
        by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
        for item in batch:
            by_table.setdefault(item.table.name, (item.table, []))[1].append(item.row)
        with self.engine.begin() as conn:
            for table, rows in by_table.values():
                conn.execute(table.insert(), rows)
