"""Search quality you can measure: labelled queries in, standard metrics out.

Two kinds of labelled data: BEIR folders (corpus.jsonl, queries.jsonl, qrels.tsv), turned
into Markdown articles and indexed by the product's own indexer; and writers' golden sets
(`lang<TAB>query<TAB>slug[|slug]`) for an existing articles folder. Every query runs
through the product's own search in each mode, so the table compares like with like.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kb.search.index import SearchIndex
from kb.search.lexical import Analyzer
from kb.search.searcher import Searcher, SearchResult
from kb.text import slugify

# hybrid's parts and baselines, side by side: a loss to any of them shows at once
MODES = ("lexical", "article-bm25", "dense", "rrf", "hybrid")
SPLITS = ("dev", "test")


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


def split_of(text: str) -> str:
    """The half a labelled query belongs to, fixed by its text alone: tune on "dev",
    report "test". A hash, so adding queries never moves the old ones between halves."""
    digest = hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).digest()
    return SPLITS[digest[0] % 2]


def load_golden(path: Path, split: str | None = None) -> list[LabelledQuery]:
    """Writers' golden set: `lang<TAB>query<TAB>answers`, answers `|`-separated slugs or
    article paths (`folder/file.md`, for imported help centers whose slugs collide);
    ``split``: only the "dev" or the "test" half."""
    out = []
    with path.open(encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not row or row[0].startswith("#") or len(row) < 3:
                continue
            if split and split_of(row[1]) != split:
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


def load_unanswerable(path: Path, split: str | None = None) -> list[tuple[str | None, str]]:
    """Off-topic or near-miss questions: `lang<TAB>query` per line."""
    out: list[tuple[str | None, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        lang, text = (parts[0] or None, parts[1]) if len(parts) > 1 else (None, parts[0])
        if not split or split_of(text) == split:
            out.append((lang, text))
    return out


def resolve_paths(queries: list[LabelledQuery], index: SearchIndex) -> list[LabelledQuery]:
    """Answers given as article paths become the slugs the index published them under;
    queries none of whose answers is in the index are dropped (a subset was indexed)."""
    slugs = {a.path: a.slug for a in index.articles.values()}
    out = []
    for q in queries:
        relevant = {
            slugs.get(k, k): g for k, g in q.relevant.items() if not k.endswith(".md") or k in slugs
        }
        if relevant:
            out.append(LabelledQuery(q.id, q.text, q.lang, relevant))
    return out


class ArticleBM25:
    """Baseline: plain BM25 over whole articles (title + every section as one document),
    per language - what a search without sections or vectors would rank."""

    def __init__(self, index: SearchIndex) -> None:
        import bm25s

        texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        for chunk in index.chunks:
            texts[(chunk.lang, chunk.slug)].append(f"{chunk.heading}\n{chunk.text}")
        self._keys: dict[str, list[str]] = defaultdict(list)
        corpora: dict[str, list[list[str]]] = defaultdict(list)
        for (lang, slug), parts in texts.items():
            title = index.articles[(lang, slug)].title
            self._keys[lang].append(slug)
            corpora[lang].append(Analyzer(lang).terms(title + "\n" + "\n".join(parts)) or [""])
        self._bm25 = {}
        for lang, corpus in corpora.items():
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
            self._bm25[lang] = model

    def ranked(self, query: str, lang: str, limit: int = 10) -> list[str]:
        model = self._bm25.get(lang)
        terms = [t for t in Analyzer(lang).terms(query)]
        if model is None or not terms:
            return []
        scores = np.asarray(model.get_scores(terms))
        top = np.argsort(-scores)[:limit]
        return [self._keys[lang][i] for i in top if scores[i] > 0]


def _dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def evaluate(
    searcher: Searcher,
    queries: list[LabelledQuery],
    mode: str = "hybrid",
    strict: bool = False,
    baseline: ArticleBM25 | None = None,
) -> ModeResult:
    """nDCG@10, MRR@10, Recall@1/3/10 and answered rate over ``queries``.

    ``strict``: restrict each query to its language (BEIR); otherwise the language only
    breaks ties, as the page language does on the site. Mode "article-bm25" ranks with
    ``baseline`` (built from the searcher's index when not given).
    """
    sums: dict[str, float] = defaultdict(float)
    failures = []
    top_scores = []
    if mode == "article-bm25" and baseline is None:
        baseline = ArticleBM25(searcher.index)
    for q in queries:
        result: SearchResult | None = None
        if baseline is not None and mode == "article-bm25":
            lang = q.lang or searcher.index.languages[0]
            ranked = baseline.ranked(q.text, lang)
        else:
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
        if result is not None:
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
class Decision:
    """How well the answered / not-answered decision and its labels hold, per language."""

    lang: str
    answered: float  # in-domain questions answered
    strong_precision: float | None  # in-domain "strong" top hits that are right
    flagged: dict[str, float]  # per unanswerable set: share not answered
    strong_wrong: dict[str, int]  # per unanswerable set: how many were labelled "strong"


def decisions(
    searcher: Searcher,
    in_domain: list[LabelledQuery],
    unanswerable: dict[str, list[tuple[str | None, str]]],
) -> list[Decision]:
    """The decision as a visitor meets it (page language preferred, no strict language)."""
    out = []
    for lang in sorted({q.lang or "" for q in in_domain}):
        answered = strong = strong_right = 0
        queries = [q for q in in_domain if (q.lang or "") == lang]
        for q in queries:
            result = searcher.search(q.text, prefer=q.lang)
            answered += result.answered
            if result.hits and result.hits[0].confidence == "strong":
                strong += 1
                strong_right += result.hits[0].slug in q.relevant
        flagged, wrong = {}, {}
        for name, items in unanswerable.items():
            mine = [text for q_lang, text in items if (q_lang or "") == lang]
            if not mine:
                continue
            results = [searcher.search(text, prefer=lang or None) for text in mine]
            flagged[name] = sum(not r.answered for r in results) / len(mine)
            wrong[name] = sum(bool(r.hits) and r.hits[0].confidence == "strong" for r in results)
        out.append(
            Decision(
                lang,
                answered / (len(queries) or 1),
                strong_right / strong if strong else None,
                flagged,
                wrong,
            )
        )
    return out


def decision_table(rows: list[Decision]) -> str:
    names = sorted({n for r in rows for n in r.flagged})
    head = "| lang | in-domain answered | precision of strong | "
    head += " | ".join(f"{n} flagged | {n} strong" for n in names) + " |"
    lines = [head, "|" + "---|" * (3 + 2 * len(names))]
    for r in rows:
        cells = [r.lang or "-", f"{r.answered:.3f}"]
        cells.append("-" if r.strong_precision is None else f"{r.strong_precision:.3f}")
        for n in names:
            cells += [
                f"{r.flagged[n]:.3f}" if n in r.flagged else "-",
                str(r.strong_wrong.get(n, "-")),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(
    searcher: Searcher,
    labelled: list[LabelledQuery],
    title: str,
    split: str,
    *,
    strict: bool = False,
    show_failures: bool = False,
    unanswerable: dict[str, list[tuple[str | None, str]]] | None = None,
) -> str:
    """`kb eval`'s output: per language, every mode side by side, then the decision."""
    baseline = ArticleBM25(searcher.index)
    langs = sorted({q.lang or "" for q in labelled})
    out = []
    for lg in langs if len(langs) > 1 else [None]:
        subset = [q for q in labelled if lg is None or q.lang == lg]
        results = [evaluate(searcher, subset, m, strict, baseline) for m in MODES]
        heading = f"{title} [{split}{', ' + lg if lg else ''}] ({len(subset)} queries)"
        out.append(table(results, heading) + "\n")
        if show_failures:
            out += [
                f"  MISS {t!r}: got {got}, want {want}" for t, got, want in results[-1].failures
            ]
    if unanswerable:
        out.append(decision_table(decisions(searcher, labelled, unanswerable)) + "\n")
    return "\n".join(out)
