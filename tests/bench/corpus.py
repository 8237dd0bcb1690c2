"""Benchmark inputs: corpus subsets, realistic queries with repeats, an edited article."""

from __future__ import annotations

import itertools
import json
import random
import re
import shutil
from pathlib import Path

from kb.content.articles import iter_article_files


def subset(corpus: Path, dest: Path, fraction: float, limit: int | None = None) -> int:
    """Copy every n-th article (sorted, so the same each run), includes kept whole."""
    if dest.exists():
        shutil.rmtree(dest)
    files = sorted(iter_article_files(corpus))
    step = max(1, round(1 / fraction))
    chosen = files[::step][:limit] if limit else files[::step]
    for path in chosen:
        target = dest / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for include in corpus.rglob("includes"):  # fragments that [!INCLUDE] pulls in
        if include.is_dir():
            shutil.copytree(include, dest / include.relative_to(corpus), dirs_exist_ok=True)
    return len(chosen)


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]+")
_STARTS = ("how do i", "how to", "why does", "cannot", "error", "fix", "")


def queries(index_version: Path, n: int, seed: int = 7) -> list[str]:
    """Distinct customer-like queries from the index's own headings and titles: a few
    content words, lower case, sometimes a question start, sometimes a word dropped."""
    rng = random.Random(seed)
    chunks = json.loads((index_version / "chunks.json").read_text(encoding="utf-8"))
    headings = sorted({c["heading"] for c in chunks if c["heading"]})
    rng.shuffle(headings)
    out: list[str] = []
    seen: set[str] = set()
    for heading in headings:
        words = [w.lower() for w in _WORD.findall(heading)]
        if len(words) < 2:
            continue
        if len(words) > 4 and rng.random() < 0.5:
            del words[rng.randrange(len(words))]
        query = " ".join([rng.choice(_STARTS), *words[:8]]).strip()
        if query not in seen:
            seen.add(query)
            out.append(query)
        if len(out) == n:
            break
    return out


def with_repeats(distinct: list[str], n: int, repeat_share: float, seed: int = 11) -> list[str]:
    """``n`` requests where ``repeat_share`` of them repeat a popular query (Zipf-like
    popularity over 30 head queries), the rest are fresh: a help center's search log
    is head-heavy ("reset password" again and again)."""
    rng = random.Random(seed)
    head = distinct[: min(30, len(distinct) // 2 or 1)]
    weights = [1 / (rank + 1) for rank in range(len(head))]
    tail = itertools.cycle(distinct[len(head) :] or distinct)
    return [
        rng.choices(head, weights)[0] if rng.random() < repeat_share else next(tail)
        for _ in range(n)
    ]


def edit_one(articles: Path) -> Path:
    """Append a sentence to one article's last section, as a writer's small fix does."""
    path = sorted(iter_article_files(articles))[len(list(iter_article_files(articles))) // 2]
    with path.open("a", encoding="utf-8") as f:
        f.write("\nIf the problem persists, restart the application and try again.\n")
    return path
