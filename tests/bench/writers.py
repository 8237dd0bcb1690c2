"""What writers wait for: a saved edit going live, and `kb check` before a commit.

The edit is timed end to end as a writer sees it: `kb serve --reload-content` runs in a
child process on a copy of the demo help center; an article gets a sentence with a word
no article has; the clock stops when that word is on the article's page and when the
search API finds the article by it.
"""

from __future__ import annotations

import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "articles"
EDITED = Path("hr") / "povrati" / "jamstvo.md"
KB = [sys.executable, "-c", "from kb.cli import app; app()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _word(rng: random.Random) -> str:
    """A made-up word: nothing else matches it, lexically or by stem."""
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(11))


def edit_to_live(env: dict[str, str], work: Path, edits: int = 5) -> dict[str, list[float]]:
    """Seconds from each save until the page shows it and until search finds it."""
    articles, index = work / "live-articles", work / "live-index"
    shutil.rmtree(articles, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(DEMO, articles)
    port = _free_port()
    env = {
        **env,
        "KB_ARTICLES_DIR": str(articles),
        "KB_INDEX_DIR": str(index),
        "KB_PORT": str(port),
        "KB_DATABASE_URL": f"sqlite:///{work / 'live-events.sqlite3'}",
    }
    env.pop("KB_RELOAD_INTERVAL", None)  # the default, as a writer runs it
    log = (work / "live-serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [*KB, "serve", "--reload-content"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(17)
    page_s: list[float] = []
    search_s: list[float] = []
    try:
        _wait_ready(base, proc)
        time.sleep(1.0)  # the watcher is up
        path = articles / EDITED
        slug = EDITED.stem
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(edits):
                word = _word(rng)
                text = path.read_text(encoding="utf-8")
                started = time.perf_counter()
                path.write_text(text + f"\nOznaka {word}.\n", encoding="utf-8")
                shown = found = None
                while (shown is None or found is None) and time.perf_counter() - started < 20:
                    if shown is None and word in client.get(f"/hr/articles/{slug}").text:
                        shown = time.perf_counter() - started
                    if found is None:
                        hits = client.get("/api/search", params={"q": word, "lang": "hr"})
                        results = hits.json()["results"][:3]
                        # by the word itself (lexical), not by chance (dense finds anything)
                        if any(h["slug"] == slug and h["lexical"] > 0 for h in results):
                            found = time.perf_counter() - started
                    time.sleep(0.01)
                if shown is None or found is None:
                    raise RuntimeError(f"edit not live within 20 s (page {shown}, search {found})")
                page_s.append(shown)
                search_s.append(found)
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    return {"page": page_s, "search": search_s}


def _wait_ready(base: str, proc: subprocess.Popen[Any]) -> None:
    started = time.perf_counter()
    while True:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > 300:
            raise RuntimeError("kb serve --reload-content did not start (see live-serve.log)")
        time.sleep(0.1)


def check_seconds(env: dict[str, str], articles: Path, index: Path, runs: int = 1) -> float:
    """Median wall time of `kb check` with default options, as the pre-commit hook runs it
    (``index``: where it finds the parsed-article cache and vectors; an empty folder is a
    cold run)."""
    env = {**env, "KB_ARTICLES_DIR": str(articles), "KB_INDEX_DIR": str(index)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*KB, "check"], env=env, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
