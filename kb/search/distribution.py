"""Index distribution: built once, published to a shared location, fetched by every server.

``kb index --publish-to URL`` copies the version it built to the location; a server with
``KB_INDEX_SOURCE=URL`` checks the location's ``CURRENT`` at every ``KB_RELOAD_INTERVAL``
and, when it names a version the server's own index folder lacks, copies that version in
and makes it current there, where the usual reload swaps it in. So every machine converges
on the newest complete version, and a machine joining later starts from it.

A location holds what an index folder holds (``CURRENT``, ``versions/<name>/``), plus, in
each version, ``published.json``: every file's size and SHA-256, written last. Neither side
ever sees half a version: the publisher copies into ``incoming/`` and renames the finished
folder into ``versions/`` before it replaces ``CURRENT``; a server copies into its own
``incoming/``, checks every file against ``published.json``, and only then renames it into
its ``versions/`` (a version pruned or replaced while it was copied fails the check and is
fetched again next time). Only ``file://`` (a directory on shared storage) is implemented;
an object store needs the same four operations of ``Location`` (read ``CURRENT``, list and
read a version's files, write a version then ``CURRENT``), with the last write of
``CURRENT`` as its atomic step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
from pathlib import Path

from kb.errors import IndexMismatchError
from kb.search.index import named_version, publish
from kb.settings import location_path

log = logging.getLogger("kb.search.distribution")
LISTING = "published.json"


def location(url: str) -> Location:
    return Location(location_path(url))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _listing(folder: Path) -> dict[str, list[int | str]]:
    """Every file of a version folder with its size and SHA-256."""
    return {
        str(p.relative_to(folder)): [p.stat().st_size, _digest(p)]
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LISTING
    }


def _incoming(root: Path, name: str) -> Path:
    """A private folder beside ``versions/`` (same file system: the rename is atomic),
    outside it so pruning old versions never touches a copy in progress."""
    folder = root / "incoming" / f"{name}.{os.getpid()}.{secrets.token_hex(3)}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _move_in(tmp: Path, final: Path) -> None:
    """Rename a finished copy into place; another process that got there first wins."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / "manifest.json").is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


class Location:
    """A shared directory laid out like an index folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def current(self) -> str | None:
        return named_version(self.root)

    def publish(self, version: Path) -> None:
        """Copy a complete local version folder here and make it current."""
        final = self.root / "versions" / version.name
        if not (final / LISTING).is_file():
            tmp = _incoming(self.root, version.name)
            shutil.copytree(version, tmp)
            listing = tmp / f"{LISTING}.tmp"
            listing.write_text(json.dumps(_listing(tmp)), encoding="utf-8")
            os.replace(listing, tmp / LISTING)
            (self.root / "versions").mkdir(parents=True, exist_ok=True)
            _move_in(tmp, final)
        publish(self.root, version.name)  # CURRENT replaced atomically; old versions pruned

    def fetch(self, name: str, index_dir: Path) -> Path:
        """Copy version ``name`` into ``index_dir/versions`` (checked file by file)."""
        source = self.root / "versions" / name
        final = index_dir / "versions" / name
        if (final / "manifest.json").is_file():
            return final
        try:
            expected = json.loads((source / LISTING).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexMismatchError(
                f"version {name} at {self.root} is not complete: {exc}"
            ) from exc
        tmp = _incoming(index_dir, name)
        try:
            shutil.copytree(source, tmp)
            got = _listing(tmp)
            if got != expected:
                differ = sorted(k for k in {*got, *expected} if got.get(k) != expected.get(k))
                raise IndexMismatchError(
                    f"version {name} changed or vanished while it was copied "
                    f"({', '.join(differ[:3])}); fetching it again next time"
                )
            (index_dir / "versions").mkdir(parents=True, exist_ok=True)
            _move_in(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final


def sync(url: str, index_dir: Path) -> str | None:
    """Make ``index_dir``'s current version the location's; returns the version fetched
    (None: nothing new). Errors are the caller's to report; the old version stays."""
    source = location(url)
    name = source.current()
    if name is None or name == named_version(index_dir):
        return None
    source.fetch(name, index_dir)
    publish(index_dir, name)
    log.info("fetched index %s from %s", name, url)
    return name
