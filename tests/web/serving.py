"""`kb serve` as a real process group, for the tests that stop, load or split it, and
the load they put on it: client threads sending requests until told to stop.

The child runs this checkout's code whatever the interpreter's installed copy points at
(a git worktree, or a normal checkout run from the repository root): the repository root
goes first on ``PYTHONPATH``, which uvicorn's worker processes inherit.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Self

import httpx
import sqlalchemy as sa

from kb.insights import schema
from kb.insights.events import EventStore
from tests.helpers import ROOT, free_port

__all__ = [
    "KB",
    "Load",
    "free_port",
    "server_env",
    "start_kb_serve",
    "stored_queries",
    "wait_ready",
]

KB = [sys.executable, "-c", "from kb.cli import app; app()"]


def server_env(**settings: str) -> dict[str, str]:
    """The test process's environment (KB_RATE_LIMIT_*=0, the model cache) with
    ``settings`` on top and this checkout first on the import path."""
    env = {**os.environ, **settings}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def start_kb_serve(
    env: Mapping[str, str],
    log: IO[str],
    workers: int = 2,
    prefix: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """``kb serve --no-build --workers N`` in a session of its own, so the test can signal
    the whole process group as systemd does; ``prefix`` runs it under another command
    (``ip netns exec NAME``)."""
    return subprocess.Popen(
        [*prefix, *KB, "serve", "--no-build", "--workers", str(workers)],
        env=dict(env),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(
    base: str, server: subprocess.Popen[bytes], log_path: Path, seconds: float = 120
) -> None:
    """Until ``/readyz`` answers 200 (every worker is up when several answers in a row are)."""
    deadline = time.monotonic() + seconds
    streak = 0
    while time.monotonic() < deadline and streak < 4:
        assert server.poll() is None, log_path.read_text()
        try:
            ok = httpx.get(base + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        streak = streak + 1 if ok else 0
        if not ok:
            time.sleep(0.2)
    assert streak >= 4, "not ready in time:\n" + log_path.read_text()


def stored_queries(database_url: str) -> Counter[str]:
    """How many times each query is in the event store's searches table (read directly:
    no migration, no writer thread)."""
    store = EventStore(database_url)
    try:
        with store.engine.connect() as conn:
            return Counter(conn.execute(sa.select(schema.searches.c.query)).scalars())
    finally:
        store.engine.dispose()


class Load:
    """Client threads putting load on a server, each running ``client(n)`` (n = 0, 1, ...)
    until the ``with`` block ends and sets ``stop`` (or until ``client`` returns on its own,
    as when the server has gone). Subclasses say what one client sends and what they
    record; the base gives them a lock, a list of failures, and distinct numbers for
    distinct queries across all threads."""

    def __init__(self, threads: int, join_seconds: float = 60) -> None:
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self._join_seconds = join_seconds
        self._numbers = itertools.count()
        self._threads = [threading.Thread(target=self.client, args=(n,)) for n in range(threads)]

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(self._join_seconds)

    def client(self, n: int) -> None:
        raise NotImplementedError

    def next_number(self) -> int:
        """A number no other thread gets: a distinct query each time."""
        with self.lock:
            return next(self._numbers)

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)
