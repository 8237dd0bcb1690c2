"""Content gaps: the questions the help center fails to answer, grouped by meaning.

A search is *unanswered* when it did not clear the confidence threshold, or it did but
got no click and the same session asked again right after (a reformulation), or the
article it led to was voted not helpful. Unanswered queries are clustered per language
with the same evidence search uses (embeddings plus stemmed, synonym-aware terms, since
the English model cannot tell Croatian questions apart), then each group is described
for writers: volume, sessions, trend, examples and the nearest existing article.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from kb import schema
from kb.embeddings import Embedder
from kb.events import EventStore, now
from kb.fusion import profile_for
from kb.lexical import Analyzer
from kb.search import Searcher
from kb.text import query_key, slugify

REFORMULATION_WINDOW = timedelta(minutes=10)
SIMILARITY = 0.5  # average-linkage cut; measured on tests/kb/test_gaps.py's mix


@dataclass(frozen=True)
class Unanswered:
    id: str
    ts: datetime
    session_id: str
    lang: str
    query: str
    reason: str  # not_answered | reformulated | not_helpful
    source: str


@dataclass
class GapTopic:
    lang: str
    representative: str
    searches: int
    sessions: int
    examples: list[str]
    reasons: dict[str, int]
    trend: list[int]  # searches per day over the period, oldest first
    nearest_slug: str | None = None
    nearest_title: str | None = None
    nearest_url: str | None = None
    nearest_score: float | None = None
    suggested_title: str = ""
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.lang}-{slugify(self.representative)}"

    @property
    def trend_label(self) -> str:
        half = len(self.trend) // 2
        before, after = sum(self.trend[:half]), sum(self.trend[half:])
        if after > before * 1.5 and after - before >= 2:
            return "rising"
        if before > after * 1.5 and before - after >= 2:
            return "falling"
        return "steady"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["id"] = self.id
        data["trend_label"] = self.trend_label
        return data

    def draft_markdown(self) -> str:
        """A Markdown skeleton a writer can drop into articles/ and fill in."""
        checklist = "\n".join(f"- [ ] {q}" for q in self.examples)
        intro = (
            "Napišite kratak odgovor na najčešće pitanje."
            if self.lang == "hr"
            else "Write the short answer to the most common question first."
        )
        heading = (
            "Pitanja koja ovaj članak mora odgovoriti"
            if self.lang == "hr"
            else ("Questions this article must answer")
        )
        return (
            "---\n"
            f"title: {json.dumps(self.suggested_title, ensure_ascii=False)}\n"
            'description: ""\n'
            "tags: []\n"
            f"updated: {date.today().isoformat()}\n"
            "draft: true\n"
            "---\n\n"
            f"{intro}\n\n"
            f"{heading}:\n\n"
            f"## {self.suggested_title}\n\n"
            f"{checklist}\n"
        )


def unanswered_searches(
    store: EventStore, since: datetime, lang: str | None = None
) -> list[Unanswered]:
    searches = store.rows(schema.searches, since)
    clicked = {r["search_id"] for r in store.rows(schema.clicks, since) if r["search_id"]}
    unhelpful = {
        r["search_id"]
        for r in store.rows(schema.votes, since)
        if r["search_id"] and not r["helpful"]
    }
    by_session: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in searches:
        by_session[str(row["session_id"])].append(row)
    out: list[Unanswered] = []
    for rows in by_session.values():
        rows.sort(key=lambda r: r["ts"])  # type: ignore[arg-type, return-value]
        for i, row in enumerate(rows):
            row_lang = str(row["lang"] or "")
            if lang and row_lang != lang:
                continue
            reason = None
            if not row["answered"]:
                reason = "not_answered"
            elif row["id"] in unhelpful:
                reason = "not_helpful"
            elif row["id"] not in clicked and i + 1 < len(rows):
                nxt = rows[i + 1]
                gap = nxt["ts"] - row["ts"]  # type: ignore[operator]
                if gap <= REFORMULATION_WINDOW and nxt["query"] != row["query"]:
                    reason = "reformulated"
            if reason:
                out.append(
                    Unanswered(
                        str(row["id"]),
                        row["ts"],  # type: ignore[arg-type]
                        str(row["session_id"]),
                        row_lang,
                        str(row["query"]),
                        reason,
                        str(row["source"]),
                    )
                )
    return out


def similarity_matrix(
    texts: list[str], lang: str, embedder: Embedder, searcher: Searcher | None = None
) -> np.ndarray:
    """Pairwise similarity with search's own evidence and per-language weights."""
    fusion = profile_for(getattr(embedder, "name", "")).confidence_for(lang)
    vectors = embedder.encode(texts)
    cos = vectors @ vectors.T
    dense = np.clip((cos - fusion.dense_floor) / (fusion.dense_ceiling - fusion.dense_floor), 0, 1)
    lex = searcher.index.lexical.get(lang) if searcher else None
    analyzer = Analyzer(lang)
    term_sets = []
    for text in texts:
        terms = analyzer.terms(text)
        term_sets.append(lex.highlight_terms(terms) if lex else set(terms))
    n = len(texts)
    jaccard = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(i, n):
            a, b = term_sets[i], term_sets[j]
            value = len(a & b) / len(a | b) if a and b else 0.0
            jaccard[i, j] = jaccard[j, i] = value
    return fusion.dense_weight * dense + fusion.lexical_weight * jaccard


def cluster(texts: list[str], similarity: np.ndarray, threshold: float = SIMILARITY) -> list[int]:
    """Average-linkage clusters: every member is, on average, similar to its group."""
    if len(texts) == 1:
        return [0]
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    # imported here: scipy.cluster costs ~0.4 s of every server start otherwise
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    tree = linkage(squareform(distance, checks=False), method="average")
    return [int(label) - 1 for label in fcluster(tree, t=1.0 - threshold, criterion="distance")]


def gap_report(
    store: EventStore,
    embedder: Embedder,
    searcher: Searcher | None = None,
    *,
    since_days: int = 30,
    lang: str | None = None,
    min_searches: int = 1,
) -> list[GapTopic]:
    """Gap topics, largest first."""
    since = now() - timedelta(days=since_days)
    items = unanswered_searches(store, since, lang)
    days = [(since + timedelta(days=d)).date() for d in range(since_days + 1)]
    topics: list[GapTopic] = []
    by_lang: dict[str, list[Unanswered]] = defaultdict(list)
    for item in items:
        by_lang[item.lang].append(item)
    for item_lang, group in by_lang.items():
        phrasings: dict[str, list[Unanswered]] = defaultdict(list)
        for item in group:
            phrasings[query_key(item.query)].append(item)
        keys = sorted(phrasings, key=lambda k: (-len(phrasings[k]), k))
        originals = [Counter(i.query for i in phrasings[k]).most_common(1)[0][0] for k in keys]
        labels = cluster(keys, similarity_matrix(originals, item_lang, embedder, searcher))
        clusters: dict[int, list[int]] = defaultdict(list)
        for idx, label in enumerate(labels):
            clusters[label].append(idx)
        for members in clusters.values():
            events = [e for m in members for e in phrasings[keys[m]]]
            if len(events) < min_searches:
                continue
            members.sort(key=lambda m: -len(phrasings[keys[m]]))
            representative = originals[members[0]]
            per_day = Counter(e.ts.date() for e in events)
            topic = GapTopic(
                lang=item_lang,
                representative=representative,
                searches=len(events),
                sessions=len({e.session_id for e in events}),
                examples=[originals[m] for m in members[:10]],
                reasons=dict(Counter(e.reason for e in events)),
                trend=[per_day.get(d, 0) for d in days],
                suggested_title=_title(representative),
                sources=dict(Counter(e.source for e in events)),
            )
            if searcher is not None and item_lang in searcher.index.languages:
                hits = searcher.search(representative, lang=item_lang, limit=1).hits
                if hits:
                    topic.nearest_slug, topic.nearest_title = hits[0].slug, hits[0].title
                    topic.nearest_url = hits[0].url
                    topic.nearest_score = hits[0].confidence_score
            topics.append(topic)
    topics.sort(key=lambda t: (-t.searches, -t.sessions, t.representative))
    return topics


def _title(query: str) -> str:
    text = " ".join(query.split()).strip(" ?!.")
    return text[:1].upper() + text[1:] if text else "Untitled"


def to_csv(topics: list[GapTopic]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "lang",
            "representative",
            "searches",
            "sessions",
            "trend",
            "examples",
            "nearest_slug",
            "nearest_score",
            "suggested_title",
        ]
    )
    for t in topics:
        writer.writerow(
            [
                t.lang,
                t.representative,
                t.searches,
                t.sessions,
                t.trend_label,
                " | ".join(t.examples),
                t.nearest_slug or "",
                "" if t.nearest_score is None else f"{t.nearest_score:.2f}",
                t.suggested_title,
            ]
        )
    return out.getvalue()
