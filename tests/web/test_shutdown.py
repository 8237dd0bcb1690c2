"""SIGTERM to the whole process group (systemd's default stop) while searches are in
flight: every search a client got an answer for is stored, exactly once, on SQLite and on
PostgreSQL, every time.

Each round starts `kb serve --workers 2`, lets eight clients send distinct searches, and
signals the group while they are still sending; the workers finish what they accepted and
write their queued events before they exit.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
from pathlib import Path

import httpx

from indexer.build import BuildReport
from kb.insights.events import EventStore
from kb.settings import Settings
from tests.helpers import free_port
from tests.web.serving import Load, server_env, start_kb_serve, stored_queries, wait_ready

ROUNDS = 5
CLIENTS = 8
ANSWERED_BEFORE_SIGTERM = 40  # searches answered when the signal goes out


class Searchers(Load):
    """Clients each sending distinct searches until the server is gone (not told to stop:
    they run through the shutdown); records which were answered, and which were answered
    after the signal (in flight at SIGTERM). ``failures`` are answers other than 200: none
    may come, not even at the end."""

    def __init__(self, base: str) -> None:
        super().__init__(CLIENTS)
        self.base = base
        self.sent: list[str] = []
        self.answered: list[str] = []
        self.answered_after_signal = 0
        self.signalled = threading.Event()
        self.some_answered = threading.Event()

    def client(self, n: int) -> None:
        dropped = 0
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while dropped < 3:  # the server has gone away
                query = f"delivery cost {self.next_number()}"
                with self.lock:
                    self.sent.append(query)
                try:
                    response = client.get("/api/search", params={"q": query})
                except httpx.HTTPError:
                    dropped += self.signalled.is_set()
                    continue
                if response.status_code != 200:
                    self.failed(f"{response.status_code} {response.text[:200]}")
                    continue
                with self.lock:
                    self.answered.append(query)
                    self.answered_after_signal += self.signalled.is_set()
                    if len(self.answered) >= ANSWERED_BEFORE_SIGTERM:
                        self.some_answered.set()


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
        assert searchers.failures == [], searchers.failures[:3]
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
