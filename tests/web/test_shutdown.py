"""SIGTERM to the whole process group (systemd's default stop) while searches are in
flight: every search a client got an answer for is stored, exactly once, on SQLite and on
PostgreSQL, every time.

Each round starts `kb serve --workers 2`, lets eight clients send distinct searches, and
signals the group while they are still sending; the workers finish what they accepted and
write their queued events before they exit.
"""

from __future__ import annotations

import itertools
import os
import secrets
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from indexer.build import BuildReport
from kb.insights import schema
from kb.insights.events import EventStore
from kb.settings import Settings
from tests.helpers import pg_url
from tests.web.serving import free_port, server_env, start_kb_serve, wait_ready

ROUNDS = 5
CLIENTS = 8
ANSWERED_BEFORE_SIGTERM = 40  # searches answered when the signal goes out


class Searchers:
    """Clients each sending distinct searches until the server is gone; records which
    were answered, and which were answered after the signal (in flight at SIGTERM)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.sent: list[str] = []
        self.answered: list[str] = []
        self.answered_after_signal = 0
        self.refused: list[str] = []  # answers other than 200: none may come, not even at the end
        self.signalled = threading.Event()
        self.some_answered = threading.Event()
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def __enter__(self) -> Searchers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for thread in self._threads:
            thread.join(60)

    def _run(self) -> None:
        failures = 0
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while failures < 3:  # the server has gone away
                with self._lock:
                    query = f"delivery cost {next(self._numbers)}"
                    self.sent.append(query)
                try:
                    response = client.get("/api/search", params={"q": query})
                except httpx.HTTPError:
                    failures += self.signalled.is_set()
                    continue
                with self._lock:
                    if response.status_code != 200:
                        self.refused.append(f"{response.status_code} {response.text[:200]}")
                        continue
                    self.answered.append(query)
                    self.answered_after_signal += self.signalled.is_set()
                    if len(self.answered) >= ANSWERED_BEFORE_SIGTERM:
                        self.some_answered.set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite3'}"
    return pg_url(request.getfixturevalue("pg_schema"))


def stored_queries(url: str) -> Counter[str]:
    store = EventStore(url)
    try:
        with store.engine.connect() as conn:
            return Counter(conn.execute(sa.select(schema.searches.c.query)).scalars())
    finally:
        store.engine.dispose()


def test_sigterm_to_the_process_group_loses_no_event(
    database_url: str, demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    in_flight = 0
    for round_ in range(ROUNDS):
        EventStore(database_url).open().close()  # a clean migration, then count from here
        before = stored_queries(database_url)
        port = free_port()
        env = server_env(
            KB_INDEX_DIR=str(demo_settings.index_dir),
            KB_DATABASE_URL=database_url,
            KB_PORT=str(port),
            KB_RELOAD_INTERVAL="0",
            KB_SECRET_KEY=secrets.token_urlsafe(16),  # made per run: no secret in the repo
        )
        log_path = tmp_path / f"server-{round_}.log"
        with log_path.open("w") as log:
            server = start_kb_serve(env, log, workers=2)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base, server, log_path)
                with Searchers(base) as searchers:
                    assert searchers.some_answered.wait(60), log_path.read_text()
                    searchers.signalled.set()
                    os.killpg(server.pid, signal.SIGTERM)
                    assert server.wait(90) == 0, log_path.read_text()
            finally:
                if server.poll() is None:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()
        assert searchers.refused == [], searchers.refused[:3]
        stored = stored_queries(database_url) - before
        answered = set(searchers.answered)
        assert answered <= set(stored), (
            f"round {round_}: {len(answered - set(stored))} answered searches not stored\n"
            + log_path.read_text()[-3000:]
        )
        assert set(stored) <= set(searchers.sent)
        assert max(stored.values()) == 1, "an event stored twice"
        assert "not written" not in log_path.read_text()
        in_flight += searchers.answered_after_signal
    assert in_flight, "no search was in flight at SIGTERM in any round: the test proved nothing"
