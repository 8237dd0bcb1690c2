"""Faults the site must ride out: the event database down (and back), and a corrupt or
half-written index version published under it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from indexer.build import BuildReport
from kb.search.index import CURRENT, current_version
from kb.settings import Settings
from tests.helpers import PG_URL, AppFactory
from tests.web.clients import bearer, vote

ADMIN = "faults-admin-token"


def admin_engine() -> sa.Engine:
    return sa.create_engine(
        "postgresql+psycopg://" + PG_URL.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )


@pytest.fixture()
def missing_database() -> Iterator[tuple[str, Callable[[], None]]]:
    """The URL of a PostgreSQL database that does not exist yet, and a function that
    creates it: the event store's database is down, then comes back."""
    name = f"kb_down_{uuid.uuid4().hex[:8]}"
    engine = admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")

    def bring_up() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))

    yield PG_URL.rsplit("/", 1)[0] + f"/{name}", bring_up
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def test_searches_answer_while_the_event_database_is_down_and_events_wait_for_it(
    missing_database: tuple[str, Callable[[], None]],
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
) -> None:
    url, bring_up = missing_database
    with make_app.client(demo_settings, database_url=url, admin_token=ADMIN) as client:
        events = client.app.state.kb.events
        for q in ["delivery cost", "kako vratiti proizvod", "gift card"]:
            assert client.get("/api/search", params={"q": q}).status_code == 200
            assert client.get("/search", params={"q": q}).status_code == 200
        assert client.get("/en/").status_code == 200  # popular articles need the database
        article = client.get("/en/articles/returns")
        assert article.status_code == 200
        assert vote(client, "/en/articles/returns", page=article.text).status_code == 303
        assert client.get("/healthz").json()["status"] == "ok"
        assert not events.flush(0.5) and events.errors >= 1, "kept, not written, not lost"
        report = client.get("/admin/gaps", headers=bearer(ADMIN))
        assert report.status_code == 503 and "event database" in report.text
        assert "kb_down_" not in report.text, "no connection details in the page"
        bring_up()
        assert events.flush(30), "the queued events are written once the database is back"
        assert events.counts() == {
            "searches": 6,
            "clicks": 1,
            "votes": 1,
            "copies": 0,
            "contacts": 0,
            "agent_messages": 0,
        }
        report = client.get("/admin/gaps", headers=bearer(ADMIN))
        assert report.status_code == 200


def _drop_manifest(folder: Path) -> None:  # what a killed build leaves behind
    (folder / "manifest.json").unlink()


def _truncate_vectors(folder: Path) -> None:  # a half-copied file
    data = (folder / "vectors.npy").read_bytes()
    (folder / "vectors.npy").write_bytes(data[: len(data) // 2])


def _garbage_faiss(folder: Path) -> None:
    (folder / "dense.faiss").write_bytes(b"not a faiss index")


def _fewer_chunks(folder: Path) -> None:  # files from two different builds
    chunks = (folder / "chunks.json").read_text(encoding="utf-8")
    (folder / "chunks.json").write_text(chunks.split("}, {", 1)[0] + "}]", encoding="utf-8")


def _missing_lexical(folder: Path) -> None:
    shutil.rmtree(folder / "lexical")


@pytest.mark.parametrize(
    ("corrupt", "reason"),
    [
        (_drop_manifest, "manifest"),
        (_truncate_vectors, ""),
        (_garbage_faiss, ""),
        (_fewer_chunks, "incomplete"),
        (_missing_lexical, "lexical"),
    ],
)
def test_a_corrupt_new_index_version_is_refused_and_the_old_one_keeps_serving(
    corrupt: Callable[[Path], None],
    reason: str,
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(demo_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("cache"))
    with make_app.client(
        demo_settings,
        index_dir=index_dir,
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        reload_interval=0,
    ) as client:
        live = current_version(index_dir)
        assert live is not None
        broken = live.parent / "99999999T000000-broken"
        shutil.copytree(live, broken)
        corrupt(broken)
        (index_dir / CURRENT).write_text(broken.name)
        assert client.app.state.kb.reload_if_changed() is False
        health = client.get("/healthz").json()
        assert health["index_version"] == live.name
        assert health["index_error"].startswith(f"index {broken.name} not loaded: ")
        assert reason in health["index_error"]
        for q in ["delivery cost", "kako vratiti proizvod"]:
            response = client.get("/api/search", params={"q": q})
            assert response.status_code == 200 and response.json()["results"]


def test_a_server_started_on_a_corrupt_current_version_serves_the_previous_one(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
) -> None:
    """A restart during a bad publish (CURRENT names a broken version) keeps the site up
    on the newest version that loads, and says why."""
    index_dir = tmp_path / "index"
    shutil.copytree(demo_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("cache"))
    live = current_version(index_dir)
    assert live is not None
    broken = live.parent / "99999999T000000-broken"
    shutil.copytree(live, broken)
    _truncate_vectors(broken)
    (index_dir / CURRENT).write_text(broken.name)
    settings = demo_settings.replace(
        index_dir=index_dir, database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}"
    )
    with make_app.client(settings) as client:
        health = client.get("/healthz").json()
        assert health["index_version"] == live.name
        assert (
            broken.name in health["index_error"] and f"serving {live.name}" in health["index_error"]
        )
        assert client.get("/api/search", params={"q": "delivery cost"}).status_code == 200
    _drop_manifest(live)  # nothing loadable left: refusing to start is the only honest answer
    with pytest.raises(ValueError), make_app.client(settings):
        pass  # the broken version's own error: "cannot reshape array ..." or similar
