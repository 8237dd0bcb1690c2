"""Parsed articles by file content, shared by `kb index` and `kb check`.

Parsing Markdown is most of what checking a large help center costs; a writer's save
changes one file, so both commands reparse that file only. The cache is pruned to the
files the last run read and rewritten only when that changes; a damaged or outdated
cache is ignored (it only costs time).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from kb.content.articles import Article

# bump when Article or Document change shape (pickles of the old shape would load)
FORMAT = 3


class ArticleCache(dict[str, Article]):
    """A dict (file key -> Article) that remembers which keys this run used."""

    def __init__(self, folder: Path | None) -> None:
        super().__init__()
        self.path = folder / f"articles-v{FORMAT}.pickle" if folder is not None else None
        self._used: set[str] = set()
        self._loaded: set[str] = set()
        if self.path is None:
            return
        try:
            with self.path.open("rb") as f:
                data = pickle.load(f)
            if isinstance(data, dict):
                self.update(data)
                self._loaded = set(data)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            pass

    def get(self, key: str, default: Article | None = None) -> Article | None:  # type: ignore[override]
        self._used.add(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: Article) -> None:
        self._used.add(key)
        super().__setitem__(key, value)

    def save(self) -> None:
        """Keep just what this run used; skip the write when nothing changed."""
        if self.path is None or self._used == self._loaded:
            return
        data = {k: v for k, v in self.items() if k in self._used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            return  # a read-only index folder only costs the next run time
        self._loaded = set(data)
