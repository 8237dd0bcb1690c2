"""Publishing an index version to a shared location and fetching it: a server gets the
whole version or nothing, and several processes fetching at once do not trip each other."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from indexer.build import BuildReport
from kb.errors import ConfigError, IndexMismatchError
from kb.search.distribution import LISTING, location, sync
from kb.search.index import SearchIndex, current_version, named_version
from kb.settings import Settings


def built_version(demo_settings: Settings) -> Path:
    folder = current_version(demo_settings.index_dir)
    assert folder is not None
    return folder


def renamed_copy(version: Path, where: Path, name: str) -> Path:
    """The same content as another, newer version (what a rebuild publishes)."""
    copy = where / name
    shutil.copytree(version, copy)
    return copy


@dataclass(frozen=True)
class Published:
    version: Path  # the demo's built version, published
    root: Path  # the shared location's folder
    url: str  # its file:// URL
    server: Path  # a server's index folder, empty until it syncs


@pytest.fixture
def published(demo_settings: Settings, demo_build: BuildReport, tmp_path: Path) -> Published:
    """The demo's built version published to a shared location on disk, and a server
    that has fetched nothing yet."""
    version = built_version(demo_settings)
    root = tmp_path / "shared"
    location(f"file://{root}").publish(version)
    return Published(version, root, f"file://{root}", tmp_path / "server")


def test_a_published_version_is_fetched_whole_and_made_current(published: Published) -> None:
    version, server = published.version, published.server
    assert location(published.url).current() == version.name
    assert (published.root / "versions" / version.name / LISTING).is_file()
    assert sync(published.url, server) == version.name
    assert named_version(server) == version.name
    assert SearchIndex.load(server).version == version.name
    assert sync(published.url, server) is None, "nothing new"
    assert not list((server / "incoming").iterdir()), "no copy left behind"


def test_a_newer_publication_replaces_the_current_version(
    published: Published, tmp_path: Path
) -> None:
    url, server = published.url, published.server
    sync(url, server)
    newer = renamed_copy(published.version, tmp_path / "build", "99990101T000000-newer")
    location(url).publish(newer)
    assert sync(url, server) == newer.name
    assert named_version(server) == newer.name


@pytest.mark.parametrize("damage", ["unlisted", "changed", "missing"])
def test_a_version_that_is_not_complete_at_the_location_is_never_made_current(
    damage: str, published: Published
) -> None:
    """Copied there by hand without the listing, changed, or half-pruned while a server
    copies it: the server keeps what it has and says why."""
    version, root, url, server = published.version, published.root, published.url, published.server
    sync(url, server)
    newer = renamed_copy(version, root / "versions", "99990101T000000-bad")
    if damage == "unlisted":
        pass  # never went through publish: no published.json
    else:
        shutil.copy(root / "versions" / version.name / LISTING, newer / LISTING)
        if damage == "changed":
            (newer / "vectors.npy").write_bytes(b"half")
        else:
            (newer / "dense.faiss").unlink()
    (root / "CURRENT").write_text(newer.name)
    with pytest.raises(IndexMismatchError):
        sync(url, server)
    assert named_version(server) == version.name
    assert not (server / "versions" / newer.name).exists()
    assert not list((server / "incoming").iterdir())


def test_workers_fetching_at_once_all_end_on_the_version(published: Published) -> None:
    version, url, server = published.version, published.url, published.server
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            sync(url, server)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert named_version(server) == version.name
    assert SearchIndex.load(server).version == version.name


def test_only_a_file_location_is_accepted_and_said_so() -> None:
    with pytest.raises(ConfigError, match="file:///"):
        location("s3://bucket/kb-index")
    with pytest.raises(ValidationError, match="index_source"):
        Settings(index_source="https://example.com/kb-index")
    assert Settings(index_source="file:///srv/kb-index").index_source == "file:///srv/kb-index"
