"""The index a server answers from, for the whole life of the process.

One owner for what used to be spread over the app factory, its state and the index
module: fetching the published version (``KB_INDEX_SOURCE``), loading the current one or,
when it does not load, the newest older version that does (a restart during a bad
publish keeps the site up and says why), waiting for a first index when there is none
yet, following newly published versions, and swapping to them.

A swap is one reference assignment of a :class:`Serving` (the index and everything built
from it): requests in flight keep what they started with, new requests get the new one,
and nothing ever sees a searcher of one version with a catalogue of another. A version
that fails to load is reported (``error``, shown on /healthz) and the current one keeps
serving. No web framework here: the server, the CLI and tests drive it alike.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from kb.errors import IndexNotFoundError
from kb.models.embeddings import Embedder
from kb.search import distribution
from kb.search.catalogue import Catalogue
from kb.search.index import SearchIndex, current_version, named_version
from kb.search.searcher import Searcher, configured_searcher
from kb.search.shared_cache import SharedCache
from kb.search.typeahead import Typeahead
from kb.settings import Settings

log = logging.getLogger("kb.web")  # the server's lines, under the name operators filter by
_fetch_errors: dict[Path, str] = {}  # the last fetch error per index folder (logged once)


def shared_cache(settings: Settings, index: SearchIndex) -> SharedCache | None:
    """The fleet's query cache for this index version, with ``KB_REDIS_URL``."""
    if not settings.redis_url:
        return None
    return SharedCache(settings.redis_url, settings.redis_prefix, index.version)


def fetch_published(settings: Settings) -> str | None:
    """With ``KB_INDEX_SOURCE``, copy its current version into ``KB_INDEX_DIR`` and make it
    current there (atomically: see ``kb.search.distribution``). Never raises: a location that is
    unreachable or mid-publish is logged and the version already here keeps serving."""
    if not settings.index_source:
        return None
    try:
        fetched = distribution.sync(settings.index_source, settings.index_dir)
    except Exception as exc:
        error = f"could not fetch the index from {settings.index_source}: {exc}"
        if _fetch_errors.get(settings.index_dir) != error:  # once, not every interval
            log.error("%s; still serving what %s holds", error, settings.index_dir)
        _fetch_errors[settings.index_dir] = error
        return None
    _fetch_errors.pop(settings.index_dir, None)
    return fetched


def load_with_fallback(
    index_dir: Path, model_fingerprint: str | None = None
) -> tuple[SearchIndex, str | None]:
    """The current version; when it cannot be loaded, the newest older version that can,
    with the reason (so a restart during a bad publish keeps the site up and says why).
    Raises the current version's error when no version loads."""
    try:
        return SearchIndex.load(index_dir, model_fingerprint), None
    except Exception as exc:
        first = exc
    named = named_version(index_dir)
    versions = index_dir / "versions"
    older = (
        sorted((p for p in versions.iterdir() if (p / "manifest.json").is_file()), reverse=True)
        if versions.is_dir()
        else []
    )
    for folder in older:
        if folder.name == named:
            continue
        try:
            index = SearchIndex.load_version(folder, model_fingerprint)
        except Exception:
            continue
        return index, f"index {named} not loaded: {first}; serving {folder.name}"
    raise first


class NotServing(RuntimeError):
    """Asked for the live index before one was loaded (callers check ``ready`` first)."""


@dataclass(frozen=True)
class Serving:
    """One loaded version and what is built from it, swapped together."""

    index: SearchIndex
    searcher: Searcher
    catalogue: Catalogue
    typeahead: Typeahead


class LiveIndex:
    """The serving index: :meth:`start` loads it (or starts waiting for one), the watcher
    follows new versions every ``KB_RELOAD_INTERVAL`` seconds, :meth:`stop` ends that."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.serving: Serving | None = None
        self.error: str | None = None  # why the version CURRENT names is not the one served
        self.not_ready: str | None = None  # why nothing is served yet
        # the watcher and `kb serve --reload-content`'s builder both swap: one at a time
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # -- what requests read ----------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.serving is not None

    def current(self) -> Serving:
        serving = self.serving
        if serving is None:
            raise NotServing(self.not_ready or "no index loaded yet")
        return serving

    @property
    def index(self) -> SearchIndex:
        return self.current().index

    @property
    def searcher(self) -> Searcher:
        return self.current().searcher

    # -- life ------------------------------------------------------------------------
    def start(self) -> LiveIndex:
        """Load the index to serve; with none published yet, wait for one in the
        background (not ready until then). Any other failure to load is raised."""
        try:
            self._serve(*self._load())
        except IndexNotFoundError as exc:
            log.warning("%s; not ready until an index is published", exc)
            self.not_ready = str(exc)
        interval = self.settings.reload_interval
        if interval or self.serving is None:
            self._watcher = threading.Thread(
                target=self._watch, args=(interval,), name="kb-index-watch", daemon=True
            )
            self._watcher.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._watcher is not None and self._watcher.is_alive():
            self._watcher.join(timeout)

    def reload_if_changed(self) -> bool:
        """Swap to a newer published version, if there is one (True when swapped)."""
        with self._lock:
            if self.serving is None:
                return self._first()
            return self._reload_if_changed(self.serving.index)

    # -- inside ----------------------------------------------------------------------
    def _fingerprint(self) -> str | None:
        return getattr(self.embedder, "fingerprint", None)

    def _load(self) -> tuple[SearchIndex, str | None]:
        """The current version, or the newest that loads if it does not (and why); with
        KB_INDEX_SOURCE, the location's current version is fetched first."""
        fetch_published(self.settings)
        return load_with_fallback(self.settings.index_dir, self._fingerprint())

    def _serve(self, index: SearchIndex, why_not_current: str | None = None) -> None:
        """Build what requests use from ``index`` (the type-ahead too: the first keystroke
        on a new version must not wait), then swap it in."""
        shared = shared_cache(self.settings, index)
        searcher = configured_searcher(index, self.embedder, self.settings, shared)
        serving = Serving(index, searcher, Catalogue(index), Typeahead(index.articles.values()))
        if why_not_current:
            log.error(why_not_current)
        first = self.serving is None
        self.serving = serving
        self.error = why_not_current
        self.not_ready = None
        log.info("%s index %s", "serving" if first else "now serving", index.version)

    def _first(self) -> bool:
        """One try at a first index (the watcher's, while there is none)."""
        try:
            self._serve(*self._load())
        except IndexNotFoundError:
            return False
        except Exception as exc:
            self.not_ready = f"index not loaded: {exc}"
            log.error(self.not_ready)
            return False
        return True

    def _reload_if_changed(self, live: SearchIndex) -> bool:
        fetch_published(self.settings)
        folder = current_version(self.settings.index_dir)
        if folder is None:
            named = named_version(self.settings.index_dir)
            if named and named != live.version:
                self._refuse(
                    live,
                    named,
                    "it has no manifest.json (incomplete: a build or copy that did not finish?)",
                )
            return False
        if folder.name == live.version:
            return False
        try:
            index = SearchIndex.load_version(folder, self._fingerprint())
        except Exception as exc:
            self._refuse(live, folder.name, str(exc))
            return False
        self._serve(index)
        return True

    def _refuse(self, live: SearchIndex, version: str, why: str) -> None:
        """Keep serving the loaded version and say why (logged once per reason, not on
        every check)."""
        error = f"index {version} not loaded: {why}"
        if error != self.error:
            log.error("%s; still serving %s", error, live.version)
        self.error = error

    def _watch(self, interval: float) -> None:
        """Wait for a first index if there was none, then follow newly published
        versions until stopped; never dies."""
        while self.serving is None and not self._stop.wait(max(interval, 0.5)):
            with self._lock:
                self._first()
        if not interval:
            return
        while not self._stop.wait(interval):
            try:
                self.reload_if_changed()
            except Exception as exc:
                log.error("index watcher: %s", exc)
