"""A draft beside the live index: the same help center, once without it and once with it.

`kb impact` re-runs logged questions against both to show what publishing the draft would
change. The "with" index is built in a throwaway folder from the live build's embedding
cache, so only the draft's sections are embedded.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.build import build_index
from kb.content.articles import Article, load_article
from kb.errors import KBError
from kb.models.embeddings import embedder_for
from kb.search.searcher import Searcher, open_searcher
from kb.settings import Settings


@contextmanager
def with_draft(settings: Settings, draft: Path) -> Iterator[tuple[Article, Searcher, Searcher]]:
    """The draft's article, a searcher over the live index and one over it plus the draft."""
    root = settings.articles_dir.resolve()
    path = draft.resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise KBError(f"{draft} is not an article file under {settings.articles_dir}")
    article = load_article(path, root, settings.default_lang)
    embedder = embedder_for(settings)
    before = open_searcher(settings)
    with tempfile.TemporaryDirectory(prefix="kb-impact-") as tmp:
        work = Path(tmp) / "index"
        if (settings.index_dir / "cache").is_dir():  # reuse embeddings: only the draft is new
            shutil.copytree(settings.index_dir / "cache", work / "cache")
        build_index(
            settings.replace(index_dir=work),
            embedder,
            quiet=True,
            publish_drafts=frozenset({article.path}),
        )
        yield article, before, open_searcher(settings, work)
