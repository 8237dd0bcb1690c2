"""Publishing an index version to a shared location and fetching it: a server gets the
whole version or nothing, and several processes fetching at once do not trip each other."""

from __future__ import annotations

import shutil
import threading
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


def test_a_published_version_is_fetched_whole_and_made_current(
    demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    version = built_version(demo_settings)
    shared = location(f"file://{tmp_path / 'shared'}")
    shared.publish(version)
    assert shared.current() == version.name
    assert (tmp_path / "shared" / "versions" / version.name / LISTING).is_file()
    server = tmp_path / "server"
    assert sync(f"file://{tmp_path / 'shared'}", server) == version.name
    assert named_version(server) == version.name
    assert SearchIndex.load(server).version == version.name
    assert sync(f"file://{tmp_path / 'shared'}", server) is None, "nothing new"
    assert not list((server / "incoming").iterdir()), "no copy left behind"


def test_a_newer_publication_replaces_the_current_version(
    demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    version = built_version(demo_settings)
    url = f"file://{tmp_path / 'shared'}"
    location(url).publish(version)
    server = tmp_path / "server"
    sync(url, server)
    newer = renamed_copy(version, tmp_path / "build", "99990101T000000-newer")
    location(url).publish(newer)
    assert sync(url, server) == newer.name
    assert named_version(server) == newer.name


@pytest.mark.parametrize("damage", ["unlisted", "changed", "missing"])
def test_a_version_that_is_not_complete_at_the_location_is_never_made_current(
    damage: str, demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    """Copied there by hand without the listing, changed, or half-pruned while a server
    copies it: the server keeps what it has and says why."""
    version = built_version(demo_settings)
    root = tmp_path / "shared"
    url = f"file://{root}"
    location(url).publish(version)
    server = tmp_path / "server"
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


def test_workers_fetching_at_once_all_end_on_the_version(
    demo_settings: Settings, demo_build: BuildReport, tmp_path: Path
) -> None:
    version = built_version(demo_settings)
    url = f"file://{tmp_path / 'shared'}"
    location(url).publish(version)
    server = tmp_path / "server"
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
