"""A server with KB_INDEX_SOURCE starts from the shared location's current version,
swaps to each newly published one, says on /healthz which it serves, and never serves a
version that is not completely there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import BuildReport
from kb.search.distribution import location
from kb.search.index import current_version
from kb.settings import Settings
from tests.helpers import AppFactory


def test_a_server_follows_the_shared_location(
    demo_settings: Settings,
    demo_build: BuildReport,
    make_app: AppFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    built = current_version(demo_settings.index_dir)
    assert built is not None
    url = f"file://{tmp_path / 'shared'}"
    shared = location(url)
    shared.publish(built)
    with make_app.client(
        demo_settings,
        index_dir=tmp_path / "server",  # empty: everything comes from the location
        index_source=url,
        reload_interval=0,  # the test drives the checks
        database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
    ) as client:
        health = client.get("/healthz").json()
        assert health["index_version"] == built.name and health["index_source"] == url
        newer = tmp_path / "build" / "99990101T000000-newer"
        shutil.copytree(built, newer)
        shared.publish(newer)
        assert client.app.state.kb.reload_if_changed()
        assert client.get("/healthz").json()["index_version"] == newer.name
        assert client.get("/api/search", params={"q": "delivery cost"}).status_code == 200
        # copied into the location by hand, half-way: never fetched, never served
        half = tmp_path / "shared" / "versions" / "99990202T000000-half"
        shutil.copytree(newer, half, ignore=shutil.ignore_patterns("dense.faiss"))
        (tmp_path / "shared" / "CURRENT").write_text(half.name)
        assert not client.app.state.kb.reload_if_changed()
        assert not client.app.state.kb.reload_if_changed()
        assert client.get("/healthz").json()["index_version"] == newer.name
        assert caplog.text.count(f"could not fetch the index from {url}") == 1, "said once"
        assert client.get("/api/search", params={"q": "delivery cost"}).status_code == 200
