"""Several server worker processes write to one event store: no event is lost.

Runs the real `uvicorn --workers 2` against the demo index, with SQLite (one WAL file)
and with the PostgreSQL server; a graceful shutdown flushes what is still queued.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from indexer.build import BuildReport
from kb.events import EventStore
from kb.settings import Settings

PG_URL = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
QUERIES = [
    "kako vratiti proizvod",
    "delivery cost",
    "zaboravio sam lozinku",
    "gift card",
    "paket nije stigao",
    "refund to card",
    "plaćanje na rate",
    "recept za sarmu",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
        return
    schema_name = f"kb_workers_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine("postgresql+psycopg://" + PG_URL.split("://", 1)[1])
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema_name}"))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema_name}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema_name} CASCADE"))
    engine.dispose()


def test_two_workers_lose_no_event(
    database_url: str, demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "KB_INDEX_DIR": str(demo_settings.index_dir),
        "KB_ARTICLES_DIR": str(demo_settings.articles_dir),
        "KB_DATABASE_URL": database_url,
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        ready = 0
        while time.monotonic() < deadline and ready < 5:
            try:
                ready += httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.5)
        assert ready, (tmp_path / "server.log").read_text()

        def one(i: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as client:
                return client.get(
                    "/api/search", params={"q": QUERIES[i % len(QUERIES)]}
                ).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(160)))
        assert set(statuses) == {200}
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: each worker flushes its queue
        server.wait(60)
        log.close()
    store = EventStore(database_url).open()
    try:
        assert store.counts()["searches"] == 160
    finally:
        store.close()
