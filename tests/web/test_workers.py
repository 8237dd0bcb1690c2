"""Several server worker processes under load write to one event store: no event is lost,
no request fails, and a new index version is picked up mid-load.

Runs the real `uvicorn --workers 2` against a copy of the demo index, with SQLite (one WAL
file) and with the PostgreSQL server; a graceful shutdown flushes what is still queued.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

import httpx

from indexer.build import BuildReport, build_index
from kb.insights.events import EventStore
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.settings import Settings
from tests.helpers import free_port, write
from tests.web.clients import bearer, csrf_token
from tests.web.serving import Load, server_env, wait_ready

AGENT_TOKEN = "load-test-agent-token"
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


def start_workers(env: dict[str, str], port: int, log: IO[str]) -> subprocess.Popen[bytes]:
    """``uvicorn --workers 2`` on the app factory, as a deployment without `kb serve` runs."""
    return subprocess.Popen(
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


class Customers(Load):
    """Customers and agents hitting the site from several threads until told to stop:
    API searches, article views with a vote, and agents copying replies. Counts what was
    sent and every status (or exception) that came back."""

    def __init__(self, base: str, threads: int = 6) -> None:
        super().__init__(threads, join_seconds=120)
        self.base = base
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def wait_for(self, least: dict[str, int], timeout: float = 240) -> None:
        """Keep the load on until it has sent at least so many of each kind: a busy
        machine sends fewer per second, and the test is about what was sent, not speed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(self.sent[k] < n for k, n in least.items()):
            time.sleep(0.2)

    def _record(self, kind: str, response: httpx.Response, expected: int) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == expected:
                self.sent[kind] += 1
            else:
                self.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")

    def client(self, n: int) -> None:
        i = n
        while not self.stop.is_set():
            kind = ("search", "search", "vote", "copy")[i % 4]
            try:
                getattr(self, kind)(i)
            except httpx.HTTPError as exc:  # a refused or dropped connection is a failure too
                self.failed(f"{kind}: {exc!r}")
            i += 1

    def search(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            r = client.get("/api/search", params={"q": QUERIES[i % len(QUERIES)]})
            self._record("search", r, 200)

    def vote(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            page = client.get("/en/articles/returns")
            self._record("view", page, 200)
            r = client.post(
                "/en/articles/returns/feedback",
                data={"helpful": "yes" if i % 2 else "no", "csrf": csrf_token(page.text)},
            )  # the POST may reach the other worker: both sign with KB_SECRET_KEY
            self._record("vote", r, 303)

    def copy(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60, headers=bearer(AGENT_TOKEN)) as client:
            form = client.get("/agent")
            r = client.post(
                "/agent/copy",
                data={"csrf": csrf_token(form.text), "lang": "en", "slug": "returns"},
                headers={"X-Requested-With": "fetch"},
            )
            self._record("copy", r, 204)


def test_two_workers_under_load_lose_no_event_and_swap_the_index(
    database_url: str,
    demo_settings: Settings,
    demo_build: BuildReport,
    embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    """Searches, votes and copies from several threads against `uvicorn --workers 2`; a
    new index version is published in the middle. Every request succeeds, both workers
    swap, and after a graceful shutdown the database holds exactly what was sent."""
    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(demo_settings.articles_dir, articles)
    shutil.copytree(demo_settings.index_dir, index_dir)  # with the embedding cache
    port = free_port()
    env = server_env(
        KB_INDEX_DIR=str(index_dir),
        KB_ARTICLES_DIR=str(articles),
        KB_DATABASE_URL=database_url,
        KB_SECRET_KEY=secrets.token_urlsafe(16),  # made per run: no secret in the repo
        KB_AGENT_TOKEN=AGENT_TOKEN,
        KB_RELOAD_INTERVAL="0.5",
    )
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    server = start_workers(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, log_path)
        old = httpx.get(base + "/healthz").json()["index_version"]
        with Customers(base) as load:
            time.sleep(2)
            write(
                articles,
                "en/delivery/hovercraft.md",
                "---\ntitle: Hovercraft delivery\n---\nWe deliver by hovercraft to islands.\n",
            )
            new = build_index(
                demo_settings.replace(articles_dir=articles, index_dir=index_dir),
                embedder,
                quiet=True,
            ).version
            streak, deadline = 0, time.monotonic() + 60
            while streak < 10 and time.monotonic() < deadline:  # both workers answer new
                version = httpx.get(base + "/healthz", timeout=10).json()["index_version"]
                streak = streak + 1 if version == new else 0
            time.sleep(1)  # more load on the new version
            load.wait_for({"search": 40, "vote": 10, "copy": 10})
        assert streak == 10, f"the workers did not all swap from {old} to {new}"
        assert load.failures == [], load.failures[:5]
        assert not [s for s in load.statuses if s >= 500]
        assert load.sent["search"] >= 40 and load.sent["vote"] >= 10 and load.sent["copy"] >= 10
        found = httpx.get(base + "/api/search", params={"q": "hovercraft delivery"}).json()
        assert found["results"][0]["slug"] == "hovercraft"
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: each worker flushes its queue
        server.wait(60)
        log.close()
    store = EventStore(database_url).open()
    try:
        counts = store.counts()
    finally:
        store.close()
    assert counts == {
        "searches": load.sent["search"] + 1,  # and the hovercraft check
        "clicks": load.sent["view"],
        "votes": load.sent["vote"],
        "copies": load.sent["copy"],
        "contacts": 0,
        "agent_messages": 0,
    }
