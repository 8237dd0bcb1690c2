"""Two machines, one help center: two network namespaces (each a "host" with its own
address, reached over a veth pair), each running `kb serve --workers 2` against the one
PostgreSQL and the one Redis on the host side, fetching its index from one shared
location. A load generator sends bounded traffic to both; midway a new index version is
published. Zero requests fail, both hosts swap, one client's rate limit holds across the
four workers, and every answered search is stored exactly once.

PostgreSQL and Redis listen on the host's 127.0.0.1, which a namespace cannot reach:
forwarders on each veth's host address bridge them. Clients are told apart by the
`X-Forwarded-For` a load balancer would send (each host trusts it from its gateway only).
Needs CAP_NET_ADMIN (root in CI); skipped, saying so, where namespaces are not permitted.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from indexer.build import BuildReport
from kb.insights.events import EventStore
from kb.search.distribution import location
from kb.search.index import current_version
from kb.settings import Settings
from tests.helpers import REDIS_URL, pg_url
from tests.web.netns import Forwarder, Namespace
from tests.web.serving import Load, server_env, start_kb_serve, stored_queries, wait_ready

BUDGET = 40  # searches per minute for one client, across both hosts
PORT = 8000  # each host has its own address, so both can use it


@pytest.fixture
def two_hosts() -> Iterator[list[Namespace]]:
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is not installed: cannot make network namespaces")
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    subnet = random.choice([n for n in range(100, 250) if f"10.{n}." not in routes])
    hosts = [Namespace(subnet, 1), Namespace(subnet, 2)]
    try:
        for host in hosts:
            host.create()
    except subprocess.CalledProcessError as exc:
        for host in hosts:
            host.delete()
        pytest.skip(f"network namespaces are not permitted here: {exc.stderr.strip()}")
    yield hosts
    for host in hosts:
        host.delete()


def via(url: str, gateway: str, port: int) -> str:
    """``url`` with its host and port replaced by a forwarder's."""
    parsed = urlparse(url)
    user = parsed.netloc.rpartition("@")[0]
    return parsed._replace(
        netloc=f"{user}@{gateway}:{port}" if user else f"{gateway}:{port}"
    ).geturl()


class Traffic(Load):
    """Threads sending distinct searches to both hosts, alternately, each as a client of
    its own (so no rate limit applies), until stopped."""

    def __init__(self, bases: list[str], threads: int = 4) -> None:
        super().__init__(threads)
        self.bases = bases
        self.answered: list[str] = []
        self.enough = threading.Event()

    def client(self, _: int) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                n = self.next_number()
                query = f"delivery cost {n}"
                address = f"198.18.{(n >> 8) & 255}.{n & 255}"
                try:
                    response = client.get(
                        f"{self.bases[n % 2]}/api/search",
                        params={"q": query},
                        headers={"X-Forwarded-For": address},
                    )
                except httpx.HTTPError as exc:
                    self.failed(f"{query}: {exc!r}")
                    continue
                if response.status_code != 200:
                    self.failed(f"{query}: {response.status_code} {response.text[:200]}")
                    continue
                with self.lock:
                    self.answered.append(query)
                    if len(self.answered) >= 30:
                        self.enough.set()


def serving(base: str, version: str, seconds: float = 60) -> bool:
    """Several answers in a row from ``version`` (whichever worker answers)."""
    streak, deadline = 0, time.monotonic() + seconds
    while streak < 6 and time.monotonic() < deadline:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        streak = streak + 1 if health["index_version"] == version else 0
        if streak == 0:
            time.sleep(0.2)
    return streak >= 6


def test_two_hosts_share_the_database_the_limits_and_the_index(
    two_hosts: list[Namespace],
    pg_schema: str,
    redis_prefix: str,
    demo_settings: Settings,
    demo_build: BuildReport,
    tmp_path: Path,
) -> None:
    built = current_version(demo_settings.index_dir)
    assert built is not None
    shared = location(f"file://{tmp_path / 'shared'}")
    shared.publish(built)
    database_url = pg_url(pg_schema)
    EventStore(database_url).open().close()  # migrated once, before the hosts race to
    pg, redis = urlparse(database_url), urlparse(REDIS_URL)
    bases = [f"http://{host.address}:{PORT}" for host in two_hosts]
    servers: list[tuple[subprocess.Popen[bytes], Path]] = []
    with ExitStack() as stack:
        signing_key = secrets.token_urlsafe(16)
        for n, host in enumerate(two_hosts):
            to_pg = stack.enter_context(
                Forwarder(host.gateway, (pg.hostname or "", pg.port or 5432))
            )
            to_redis = stack.enter_context(
                Forwarder(host.gateway, (redis.hostname or "", redis.port or 6379))
            )
            env = server_env(
                KB_HOST=host.address,
                KB_PORT=str(PORT),
                KB_DATABASE_URL=via(database_url, host.gateway, to_pg.port),
                KB_REDIS_URL=via(REDIS_URL, host.gateway, to_redis.port),
                KB_REDIS_PREFIX=redis_prefix,
                KB_INDEX_SOURCE=f"file://{tmp_path / 'shared'}",
                KB_INDEX_DIR=str(tmp_path / f"host{n}" / "index"),
                KB_RELOAD_INTERVAL="0.5",
                KB_RATE_LIMIT_SEARCH=f"{BUDGET}/minute",
                KB_SECRET_KEY=signing_key,  # one per run, shared by both hosts
                FORWARDED_ALLOW_IPS=host.gateway,  # the "load balancer" in front of it
            )
            log_path = tmp_path / f"host{n}.log"
            log = stack.enter_context(log_path.open("w"))
            server = start_kb_serve(env, log, workers=2, prefix=host.exec_prefix)
            servers.append((server, log_path))
            stack.callback(_kill, server)  # runs before the forwarders close
        for base, (server, log_path) in zip(bases, servers, strict=True):
            wait_ready(base, server, log_path)
            assert serving(base, built.name)

        with Traffic(bases) as traffic:
            assert traffic.enough.wait(60), "no traffic got through"
            newer = tmp_path / "build" / "99990101T000000-newer"
            shutil.copytree(built, newer)  # what `kb index --publish-to` publishes
            shared.publish(newer)
            for base in bases:
                assert serving(base, newer.name), f"{base} did not swap to {newer.name}"
                assert httpx.get(f"{base}/healthz").json()["index_source"].startswith("file://")
            # one client (one address behind the load balancer) at twice its budget,
            # four requests at a time over both hosts
            with ThreadPoolExecutor(4) as pool:
                limited = list(
                    pool.map(
                        _limited_search,
                        [bases[i % 2] for i in range(2 * BUDGET)],
                        range(2 * BUDGET),
                    )
                )
        assert traffic.failures == [], traffic.failures[:5]
        allowed = [query for status, query in limited if status == 200]
        assert {status for status, _ in limited} <= {200, 429}
        assert abs(len(allowed) - BUDGET) <= BUDGET * 0.1, f"{len(allowed)} allowed of {BUDGET}"

        for server, _ in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server, log_path in servers:
            assert server.wait(60) == 0, log_path.read_text()[-3000:]

    stored = stored_queries(database_url)
    assert max(stored.values()) == 1, "a search stored twice"
    assert set(stored) == set(traffic.answered) | set(allowed)


def _limited_search(base: str, n: int) -> tuple[int, str]:
    query = f"gift card {n}"
    response = httpx.get(
        f"{base}/api/search",
        params={"q": query},
        headers={"X-Forwarded-For": "203.0.113.7"},
        timeout=30,
    )
    return response.status_code, query


def _kill(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
