"""Embedding cache keyed by model fingerprint + chunk text hash.

Re-embedding is the whole cost of a build; with the cache an edit to one article
re-embeds only that article's changed chunks. The cache is rewritten with just the
current chunks' vectors, so it never grows beyond one index's worth.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    def __init__(self, folder: Path, fingerprint: str, dimension: int) -> None:
        self.folder = folder / fingerprint
        self.dimension = dimension
        self._vectors: dict[str, np.ndarray] = {}
        keys_file, vec_file = self.folder / "keys.json", self.folder / "vectors.npy"
        if keys_file.is_file() and vec_file.is_file():
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vectors = np.load(vec_file)
                if vectors.shape == (len(keys), dimension):
                    self._vectors = dict(zip(keys, vectors, strict=True))
            except (OSError, ValueError):
                self._vectors = {}  # a damaged cache only costs time

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def save(self, keys: list[str], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp_vec = self.folder / "vectors.tmp.npy"
        np.save(tmp_vec, vectors)
        tmp_keys = self.folder / "keys.json.tmp"
        tmp_keys.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmp_vec, self.folder / "vectors.npy")
        os.replace(tmp_keys, self.folder / "keys.json")
