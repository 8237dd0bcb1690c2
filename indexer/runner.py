"""Running builds the way people and servers ask for them: once, when stale, or on change.

`kb index`, `kb serve` (build first when the index is missing or stale, rebuild on save with
``--reload-content``), `kb eval` and `kb impact` all build through here, so every build
reports its problems the same way: ``path:line: severity: message``, then one summary line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.build import build_index, source_fingerprint
from kb.content.chunks import CHUNKING_VERSION
from kb.errors import KBError
from kb.models.embeddings import embedder_for
from kb.search.distribution import location
from kb.search.index import INDEX_FORMAT, read_manifest
from kb.settings import Settings

Echo = Callable[[str], None]

# an editor's save is one burst of events: wait this long for quiet, at most the debounce
WATCH_STEP_MS = 30
WATCH_DEBOUNCE_MS = 300


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_index(
    settings: Settings,
    quiet: bool,
    echo: Echo = to_stderr,
    *,
    strict: bool = False,
    publish_to: str | None = None,
) -> int:
    """Build and publish the index; print problems as `path:line: severity: message`.

    Exit code 0: everything published as written; 1: some files have errors (each kept
    as last published or left out; with ``strict``, nothing published at all).
    """
    shared = location(publish_to) if publish_to else None  # a bad URL: before the build
    report = build_index(settings, embedder_for(settings), quiet=quiet, strict=strict)
    for problem in report.problems:
        echo(
            f"{settings.articles_dir / problem.path}:{problem.line}: "
            f"{problem.severity}: {problem.message}"
        )
    if not report.published:
        echo(
            f"nothing published: {len(report.errors)} errors (--strict); "
            "the live index is unchanged"
        )
        return 1
    kept = f", {report.kept} kept as last published" if report.kept else ""
    echo(
        f"indexed {report.articles} articles ({report.chunks} chunks: {report.embedded} "
        f"embedded, {report.reused} reused; {report.index_kind} index) in "
        f"{report.seconds:.1f}s; {report.skipped} left out with errors{kept}, "
        f"{report.drafts} drafts; version {report.version}"
    )
    if shared is not None:
        shared.publish(settings.index_dir / "versions" / report.version)
        echo(f"published version {report.version} to {publish_to}")
    return 1 if report.errors else 0


def is_current(settings: Settings) -> bool:
    """Whether the published index was built from these articles, by this kb's on-disk
    format and chunking, with the configured model (another model's index is refused)."""
    manifest = read_manifest(settings.index_dir)
    return (
        manifest is not None
        and manifest.get("source_fingerprint") == source_fingerprint(settings.articles_dir)
        and manifest.get("format") == INDEX_FORMAT
        and manifest.get("chunking_version") == CHUNKING_VERSION
        and manifest.get("model", {}).get("fingerprint") == embedder_for(settings).fingerprint
    )


def ensure_index(settings: Settings, echo: Echo = to_stderr) -> None:
    """Build the index when there is none or it is not current (see :func:`is_current`)."""
    if is_current(settings):
        return
    echo("building the index from " + str(settings.articles_dir) + " ...")
    run_index(settings, quiet=False, echo=echo)


def scratch_index(
    settings: Settings, articles: Path, work: Path, echo: Echo = to_stderr
) -> Settings:
    """A throwaway index of ``articles`` under ``work`` (evaluations), and its settings."""
    scratch = settings.replace(articles_dir=articles, index_dir=work / "index")
    report = build_index(scratch, embedder_for(settings), quiet=True)
    echo(f"indexed {report.articles} articles, {report.chunks} chunks ({report.skipped} skipped)")
    return scratch


def watch_articles(
    settings: Settings,
    quiet: bool = True,
    stop: Any = None,
    *,
    strict: bool = False,
    on_publish: Callable[[], object] | None = None,
    publish_to: str | None = None,
    echo: Echo = to_stderr,
) -> None:
    """Rebuild (incrementally: only changed sections are embedded) on every change.

    ``on_publish`` runs after each build: `kb serve --reload-content` swaps its site to
    the new index at once instead of at its next poll.
    """
    import watchfiles

    embedder_for(settings)  # the model is loaded now, not on the writer's first save
    echo(f"watching {settings.articles_dir} for changes (Ctrl+C to stop)")
    for changes in watchfiles.watch(
        settings.articles_dir,
        debounce=WATCH_DEBOUNCE_MS,
        step=WATCH_STEP_MS,
        stop_event=stop,
        raise_interrupt=False,
    ):
        names = sorted({Path(p).name for _, p in changes})
        echo(f"changed: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
        try:
            run_index(settings, quiet, strict=strict, publish_to=publish_to, echo=echo)
        except (KBError, OSError) as exc:
            echo(f"error: {exc}")
        if on_publish is not None:
            try:
                on_publish()
            except Exception as exc:  # the site keeps polling; the watcher must not die
                echo(f"error: could not swap the site to the new index: {exc}")


def prepare_index(settings: Settings, build: bool = True, echo: Echo = to_stderr) -> None:
    """Before serving: fetch the index from its shared location (``KB_INDEX_SOURCE``:
    built elsewhere, never here), else build it when stale; refuse to start without one."""
    if settings.index_source:
        from kb.search.distribution import sync

        try:
            sync(settings.index_source, settings.index_dir)
        except (KBError, OSError) as exc:  # the workers keep trying (503 until then)
            echo(f"warning: could not fetch the index from {settings.index_source}: {exc}")
        return
    if build and settings.articles_dir.is_dir():
        ensure_index(settings, echo)
    if read_manifest(settings.index_dir) is None:
        raise KBError(
            f"no index in {settings.index_dir}: build one with `kb index` "
            f"(articles from {settings.articles_dir})"
        )
