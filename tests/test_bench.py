"""`make bench` must not rot: its smoke mode end to end on a few real articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.models.embeddings import SentenceTransformerEmbedder
from tests.bench.run import DEFAULT_CORPUS, main
from tests.helpers import ARTICLES


def test_bench_smoke(
    tmp_path: Path, onnx_cache: Path, embedder: SentenceTransformerEmbedder
) -> None:
    corpus = DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ARTICLES
    if not corpus.is_dir():
        pytest.skip("no corpus")
    args = ["--smoke", "--articles", "8", "--corpus", str(corpus), "--out", str(tmp_path)]
    main([*args, "--models", str(onnx_cache)])
    rows = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    metrics = {(r["group"].split(" (")[0], r["metric"].split(" (")[0]): r for r in rows}
    assert metrics[("incremental", "kb index wall time")]["value"] > 0
    assert metrics[("throughput", "req/s, 50% repeats")]["value"] > 0
    assert metrics[("server", "RSS after loading the index")]["value"] > 0
    assert any(r["metric"] == "HNSW recall@10 vs exact" for r in rows)
    for where in ("in process", "over HTTP"):
        p50 = metrics[
            (
                f"type-ahead {where}",
                "p50 vs "
                + ("linear prefix scan" if where == "in process" else "/healthz round trip"),
            )
        ]
        assert p50["value"] > 0 and p50["baseline"] > 0
    writers = {r["metric"]: r["value"] for r in rows if r["group"].startswith("writers (demo")}
    assert 0 < writers["save -> shown on its page, median"] < 20
    assert 0 < writers["save -> found by search, median"] < 20
    assert writers["kb check (warm cache)"] > 0
