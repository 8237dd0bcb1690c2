"""`kb index` killed in the middle of a build (SIGKILL: no cleanup runs) leaves the live
index exactly as it was; the next build succeeds as if nothing had happened."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.build import BuildReport, build_index
from kb.models.embeddings import SentenceTransformerEmbedder
from kb.search.index import SearchIndex, current_version
from kb.search.searcher import Searcher
from kb.settings import Settings
from tests.helpers import write

# dies exactly while the new version's files are being written (before its manifest)
DIE_WHILE_WRITING = """
import os, signal, sys
import faiss
faiss.write_index = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
from kb.cli import app
sys.argv = ["kb", "index", "--quiet"]
app()
"""


@pytest.fixture()
def workspace(tmp_path: Path, demo_settings: Settings, demo_build: BuildReport) -> Settings:
    """A copy of the demo help center and its index (with the embedding cache), plus a new
    long article, so the next build has real embedding work to be killed in."""
    shutil.copytree(demo_settings.articles_dir, tmp_path / "articles")
    shutil.copytree(demo_settings.index_dir, tmp_path / "index")
    sections = "".join(
        f"## Locker {n}\n\nParcel locker number {n} stands at street {n}; open all day.\n\n"
        for n in range(150)
    )
    write(tmp_path / "articles", "en/delivery/lockers.md", f"---\ntitle: Lockers\n---\n{sections}")
    return demo_settings.replace(articles_dir=tmp_path / "articles", index_dir=tmp_path / "index")


def run_kb_index(workspace: Settings, code: str | None, kill_when: str | None) -> int:
    env = {
        **os.environ,
        "KB_ARTICLES_DIR": str(workspace.articles_dir),
        "KB_INDEX_DIR": str(workspace.index_dir),
    }
    kb = str(Path(sys.executable).parent / "kb")  # the installed command, as writers run it
    command = [sys.executable, "-c", code] if code else [kb, "index"]
    log = workspace.index_dir.parent / "kb-index.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while kill_when and process.poll() is None and time.monotonic() < deadline:
            if re.search(kill_when, log.read_text(errors="replace")):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        return process.wait(120)


@pytest.mark.parametrize("stage", ["embedding", "writing the new version"])
def test_killed_build_leaves_the_live_index_intact(
    stage: str, workspace: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    live = current_version(workspace.index_dir)
    assert live is not None
    if stage == "embedding":
        code = run_kb_index(workspace, None, kill_when=r"embedding:\s+\d+%")
    else:
        code = run_kb_index(workspace, DIE_WHILE_WRITING, kill_when=None)
    assert code == -signal.SIGKILL, (workspace.index_dir.parent / "kb-index.log").read_text()
    if stage != "embedding":
        partial = sorted((workspace.index_dir / "versions").iterdir())[-1]
        assert partial != live and not (partial / "manifest.json").exists(), "killed mid-write"

    assert current_version(workspace.index_dir) == live, "CURRENT still names the old version"
    index = SearchIndex.load(workspace.index_dir, embedder.fingerprint)
    assert index.version == live.name and index.article("en", "lockers") is None
    hits = Searcher(index, embedder).search("how long does a refund take", "en").hits
    assert hits and hits[0].slug == "refunds"

    report = build_index(workspace, embedder, quiet=True)
    assert current_version(workspace.index_dir).name == report.version != live.name
    rebuilt = SearchIndex.load(workspace.index_dir, embedder.fingerprint)
    assert rebuilt.article("en", "lockers") is not None


def test_a_build_killed_between_writing_cache_files_never_mixes_vectors_up(
    tmp_path: Path,
) -> None:
    """The embedding cache is two files replaced one after the other; a kill between the
    two leaves new vectors beside old keys. That pair must load as an empty cache (costs
    time) rather than hand chunks each other's vectors (silently wrong search)."""
    import numpy as np

    from indexer.cache import EmbeddingCache

    first = EmbeddingCache(tmp_path, "model", 2)
    first.save(["a", "b"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    assert EmbeddingCache(tmp_path, "model", 2).get("a").tolist() == [1, 0]
    np.save(tmp_path / "model" / "vectors.npy", np.array([[0, 1], [1, 0]], dtype=np.float32))
    reopened = EmbeddingCache(tmp_path, "model", 2)  # keys.json still the first build's
    assert reopened.get("a") is None and reopened.get("b") is None
