"""Search quality you can measure: labelled queries in, standard metrics out.

Two kinds of labelled data: BEIR folders (corpus.jsonl, queries.jsonl, qrels.tsv), turned
into Markdown articles and indexed by the product's own indexer; and writers' golden sets
(`lang<TAB>query<TAB>slug[|slug]`) for an existing articles folder. Every query runs
through the product's own search in each mode, so the table compares like with like.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.search import Searcher
from kb.text import slugify

MODES = ("lexical", "dense", "hybrid")


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    text: str
    lang: str | None
    relevant: dict[str, int]  # slug -> grade


@dataclass
class ModeResult:
    mode: str
    ndcg10: float
    mrr10: float
    recall1: float
    recall3: float
    recall10: float
    answered: float
    queries: int
    failures: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    top_scores: list[float] = field(default_factory=list)

    def row(self) -> dict[str, float | str | int]:
        return {
            "mode": self.mode,
            "nDCG@10": self.ndcg10,
            "MRR@10": self.mrr10,
            "R@1": self.recall1,
            "R@3": self.recall3,
            "R@10": self.recall10,
            "answered": self.answered,
            "queries": self.queries,
        }


def beir_to_articles(corpus: Path, folder: Path, lang: str = "en") -> dict[str, str]:
    """Write one Markdown article per corpus document; returns corpus id -> slug."""
    target = folder / lang / "faq"
    target.mkdir(parents=True, exist_ok=True)
    ids: dict[str, str] = {}
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            slug = slugify(str(doc["_id"]), fallback="doc")
            while slug in ids.values():
                slug += "-x"
            ids[str(doc["_id"])] = slug
            title = (doc.get("title") or "").strip() or " ".join(doc["text"].split()[:10])
            body = doc.get("text", "").strip()
            (target / f"{slug}.md").write_text(
                f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n\n{body}\n",
                encoding="utf-8",
            )
    return ids


def load_beir_queries(
    queries: Path, qrels: Path, ids: dict[str, str], lang: str | None = None
) -> list[LabelledQuery]:
    relevant: dict[str, dict[str, int]] = defaultdict(dict)
    with qrels.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header
            if int(row[2]) > 0 and row[1] in ids:
                relevant[row[0]][ids[row[1]]] = int(row[2])
    out = []
    with queries.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                if q["_id"] in relevant:
                    out.append(LabelledQuery(q["_id"], q["text"], lang, relevant[q["_id"]]))
    return out


def load_golden(path: Path) -> list[LabelledQuery]:
    """Writers' golden set: `lang<TAB>query<TAB>slug` (`a|b` when either answers)."""
    out = []
    with path.open(encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not row or row[0].startswith("#") or len(row) < 3:
                continue
            out.append(
                LabelledQuery(
                    f"{path.stem}:{n}",
                    row[1],
                    row[0] or None,
                    {s: 1 for s in row[2].split("|") if s},
                )
            )
    return out


def _dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def evaluate(
    searcher: Searcher, queries: list[LabelledQuery], mode: str = "hybrid", strict: bool = False
) -> ModeResult:
    """nDCG@10, MRR@10, Recall@1/3/10 and answered rate over ``queries``.

    ``strict``: restrict each query to its language (BEIR); otherwise the language only
    breaks ties, as the page language does on the site.
    """
    sums: dict[str, float] = defaultdict(float)
    failures = []
    top_scores = []
    for q in queries:
        if strict:
            result = searcher.search(q.text, q.lang, limit=10, mode=mode)
        else:
            result = searcher.search(q.text, limit=10, prefer=q.lang, mode=mode)
        ranked = [h.slug for h in result.hits]
        gains = [q.relevant.get(s, 0) for s in ranked]
        ideal = sorted(q.relevant.values(), reverse=True)[:10]
        sums["ndcg"] += _dcg(gains) / (_dcg(ideal) or 1)
        first = next((i for i, s in enumerate(ranked) if s in q.relevant), None)
        sums["mrr"] += 1 / (first + 1) if first is not None else 0
        for k in (1, 3, 10):
            found = len({s for s in ranked[:k] if s in q.relevant})
            sums[f"r{k}"] += found / min(len(q.relevant), k)
        sums["answered"] += result.answered
        top_scores.append(result.hits[0].confidence_score if result.hits else 0.0)
        if first != 0:
            failures.append((q.text, ranked[:3], sorted(q.relevant)))
    n = len(queries) or 1
    return ModeResult(
        mode,
        sums["ndcg"] / n,
        sums["mrr"] / n,
        sums["r1"] / n,
        sums["r3"] / n,
        sums["r10"] / n,
        sums["answered"] / n,
        len(queries),
        failures,
        top_scores,
    )


def table(results: list[ModeResult], title: str = "") -> str:
    """A Markdown table (reads in a terminal and pastes into docs)."""
    lines = [f"**{title}**", ""] if title else []
    lines.append("| mode | nDCG@10 | MRR@10 | R@1 | R@3 | R@10 | answered | n |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in results:
        lines.append(
            f"| {r.mode} | {r.ndcg10:.3f} | {r.mrr10:.3f} | {r.recall1:.3f} | "
            f"{r.recall3:.3f} | {r.recall10:.3f} | {r.answered:.3f} | {r.queries} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Calibration:
    lang: str
    threshold: float
    answered_in_domain: float
    flagged_off_topic: float | None
    in_domain: int
    off_topic: int


def calibrate(
    in_domain: list[float], off_topic: list[float], lang: str, keep: float = 0.95
) -> Calibration:
    """The highest threshold that still answers ``keep`` of the in-domain queries."""
    scores = np.sort(np.asarray(in_domain, dtype=np.float64))
    cut = math.floor((1 - keep) * len(scores) + 1e-9)
    threshold = float(scores[cut]) if len(scores) else 0.5
    threshold = math.floor(threshold * 1000) / 1000  # inclusive of the query at the cut
    off = np.asarray(off_topic, dtype=np.float64)
    return Calibration(
        lang=lang,
        threshold=threshold,
        answered_in_domain=float((scores >= threshold).mean()) if len(scores) else 0.0,
        flagged_off_topic=float((off < threshold).mean()) if len(off) else None,
        in_domain=len(scores),
        off_topic=len(off),
    )
