"""Content gaps: the questions the help center fails to answer, grouped by meaning.

A customer's search is *unanswered* when it did not clear the confidence threshold, or it
did but got no click and the same session asked again right after (a reformulation), or
the article it led to was voted not helpful. An agent's search is one question of a pasted
message: the questions of one message are not reformulations of each other, so it only
counts when it did not clear the threshold itself (and is marked as an agent's).

Queries that are no question at all (mojibake, markup, other scripts, only stop words:
:mod:`kb.insights.garbage`) are counted, not grouped. The rest are grouped per language by
:func:`group_queries` and each group is described for writers: volume, sessions, trend,
examples and the nearest existing article. A group the current index now answers (most of
its searches would clear the threshold, from another article than the one that failed
them) is closed, and shown as "answered since <date> by <article>" for a while.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kb.insights import schema
from kb.insights.events import CUSTOMER_SOURCES, EventStore, now
from kb.insights.garbage import why_garbage
from kb.insights.grouping import group_queries
from kb.models.embeddings import Embedder
from kb.search.searcher import Searcher
from kb.text import query_key, slugify

REFORMULATION_WINDOW = timedelta(minutes=10)
ANSWERED_DAYS = 14  # how long a closed topic stays on the report as "answered since"


@dataclass(frozen=True)
class Unanswered:
    id: str
    ts: datetime
    session_id: str
    lang: str
    query: str
    reason: str  # not_answered | reformulated | not_helpful
    source: str
    shown: str | None = None  # the best article it was shown then ("lang/slug")


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
    answered_since: str | None = None  # ISO date: the index answers it since then...
    answered_by: str | None = None  # ...with this article (title)
    answered_url: str | None = None
    phrasings: list[str] = field(default_factory=list, repr=False)  # every distinct query
    shown: set[str] = field(default_factory=set, repr=False)  # articles that failed it
    last_seen: datetime | None = field(default=None, repr=False)

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

    @property
    def agent_searches(self) -> int:
        return self.sources.get("agent", 0)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for private in ("phrasings", "shown", "last_seen"):
            data.pop(private)
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
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    out: list[Unanswered] = []
    for row in searches:
        if row["source"] in CUSTOMER_SOURCES:
            by_session[str(row["session_id"])].append(row)
        elif (
            row["source"] == "agent"
            and not row["answered"]
            and row.get("unit") != "context"
            and (not lang or row["lang"] == lang)
        ):
            # one question of a pasted message: only its own answer counts, never what
            # the agent searched next (the message's other questions)
            out.append(_unanswered(row, "not_answered"))
    for rows in by_session.values():  # a customer's visit: reformulations show
        rows.sort(key=lambda r: r["ts"])
        for i, row in enumerate(rows):
            if lang and (row["lang"] or "") != lang:
                continue
            reason = None
            if not row["answered"]:
                reason = "not_answered"
            elif row["id"] in unhelpful:
                reason = "not_helpful"
            elif row["id"] not in clicked and i + 1 < len(rows):
                nxt = rows[i + 1]
                gap = nxt["ts"] - row["ts"]
                if gap <= REFORMULATION_WINDOW and nxt["query"] != row["query"]:
                    reason = "reformulated"
            if reason:
                out.append(_unanswered(row, reason))
    out.sort(key=lambda u: u.ts)
    return out


def _unanswered(row: dict[str, Any], reason: str) -> Unanswered:
    slugs = json.loads(row["slugs"] or "[]")
    hit_lang = row.get("hit_lang") or row["lang"]
    return Unanswered(
        str(row["id"]),
        row["ts"],
        str(row["session_id"]),
        str(row["lang"] or ""),
        str(row["query"]),
        reason,
        str(row["source"]),
        f"{hit_lang}/{slugs[0]}" if slugs and row["answered"] else None,
    )


@dataclass
class GapReport:
    """Open gap topics, the ones the index now answers, and what was no question."""

    topics: list[GapTopic]
    answered: list[GapTopic] = field(default_factory=list)
    garbage: dict[str, int] = field(default_factory=dict)  # reason -> searches

    @property
    def garbage_count(self) -> int:
        return sum(self.garbage.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "topics": [t.to_dict() for t in self.topics],
            "answered": [t.to_dict() for t in self.answered],
            "garbage": self.garbage_count,
            "garbage_reasons": self.garbage,
        }


def gap_report(
    store: EventStore,
    embedder: Embedder,
    searcher: Searcher | None = None,
    *,
    since_days: int = 30,
    lang: str | None = None,
    min_searches: int = 1,
    answered_days: int = ANSWERED_DAYS,
) -> GapReport:
    """Gap topics, largest first; closed ones and the garbage count beside them."""
    since = now() - timedelta(days=since_days)
    languages = searcher.index.languages if searcher else ("hr", "en")
    by_lang: dict[str, list[Unanswered]] = defaultdict(list)
    garbage = Counter[str]()
    for item in unanswered_searches(store, since, lang):
        reason = why_garbage(item.query, languages)
        if reason:
            garbage[reason] += 1
        else:
            by_lang[item.lang].append(item)
    days = [(since + timedelta(days=d)).date() for d in range(since_days + 1)]
    report = GapReport([], garbage=dict(garbage))
    recent = now().date() - timedelta(days=answered_days)
    for item_lang, group in by_lang.items():
        for topic in _topics(item_lang, group, days, embedder, searcher, min_searches):
            if topic.answered_since is None:
                report.topics.append(topic)
            elif date.fromisoformat(topic.answered_since) >= recent:
                report.answered.append(topic)
    report.topics.sort(key=lambda t: (-t.searches, -t.sessions, t.representative))
    report.answered.sort(key=lambda t: (t.answered_since or "", t.searches), reverse=True)
    return report


def _topics(
    lang: str,
    group: list[Unanswered],
    days: list[date],
    embedder: Embedder,
    searcher: Searcher | None,
    min_searches: int,
) -> list[GapTopic]:
    """One language's unanswered searches as topics: same wording first, then meaning."""
    phrasings: dict[str, list[Unanswered]] = defaultdict(list)
    for item in group:
        phrasings[query_key(item.query)].append(item)
    keys = sorted(phrasings, key=lambda k: (-len(phrasings[k]), k))
    originals = [Counter(i.query for i in phrasings[k]).most_common(1)[0][0] for k in keys]
    clusters: dict[int, list[int]] = defaultdict(list)
    for idx, label in enumerate(group_queries(originals, lang, embedder, searcher)):
        clusters[label].append(idx)
    topics = []
    for members in clusters.values():
        events = [e for m in members for e in phrasings[keys[m]]]
        if len(events) < min_searches:
            continue
        members.sort(key=lambda m: -len(phrasings[keys[m]]))
        topic = _topic(lang, [originals[m] for m in members], events, days)
        if searcher is not None and lang in searcher.index.languages:
            _nearest(topic, searcher)
            _close_if_answered(topic, searcher, {k: len(v) for k, v in phrasings.items()})
        topics.append(topic)
    return topics


def _topic(lang: str, phrasings: list[str], events: list[Unanswered], days: list[date]) -> GapTopic:
    """A topic described for writers; ``phrasings`` most searched first."""
    per_day = Counter(e.ts.date() for e in events)
    return GapTopic(
        lang=lang,
        representative=phrasings[0],
        searches=len(events),
        sessions=len({e.session_id for e in events}),
        examples=phrasings[:10],
        reasons=dict(Counter(e.reason for e in events)),
        trend=[per_day.get(d, 0) for d in days],
        suggested_title=_title(phrasings[0]),
        sources=dict(Counter(e.source for e in events)),
        phrasings=phrasings,
        shown={e.shown for e in events if e.shown},
        last_seen=max(e.ts for e in events),
    )


def _nearest(topic: GapTopic, searcher: Searcher) -> None:
    """The closest existing article: often the one to extend rather than a new one."""
    hits = searcher.search(topic.representative, lang=topic.lang, limit=1).hits
    if hits:
        topic.nearest_slug, topic.nearest_title = hits[0].slug, hits[0].title
        topic.nearest_url = hits[0].url
        topic.nearest_score = hits[0].confidence_score


def _close_if_answered(topic: GapTopic, searcher: Searcher, volume: dict[str, int]) -> None:
    """Closed when the current index answers most of the topic's searches, with an article
    other than the ones that already failed them (a reformulated or not-helpful search
    was "answered" by an article that did not help; it is no answer now either)."""
    answered, total = 0, 0
    by: Counter[tuple[str, str]] = Counter()
    for phrasing in topic.phrasings:
        n = volume.get(query_key(phrasing), 1)
        total += n
        result = searcher.search(phrasing, lang=topic.lang, limit=1)
        if not result.answered or not result.hits:
            continue
        hit = result.hits[0]
        if f"{hit.lang}/{hit.slug}" in topic.shown:
            continue
        answered += n
        by[(hit.lang, hit.slug)] += n
    if not by or answered * 2 <= total:
        return
    (hit_lang, slug), _ = by.most_common(1)[0]
    article = searcher.index.article(hit_lang, slug)
    if article is None:
        return
    topic.answered_by, topic.answered_url = article.title, article.url
    # since the article's own date if it changed after the last failed search; else since
    # the index answers it (an article edited without a new date, a synonym, a threshold)
    last = topic.last_seen.date() if topic.last_seen else now().date()
    since = _as_date(article.updated)
    if since is None or since < last:
        built = _as_date(str(searcher.index.manifest.get("built_at", "")))
        since = max(built or last, last)
    topic.answered_since = since.isoformat()


def _as_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _title(query: str) -> str:
    text = " ".join(query.split()).strip(" ?!.")
    return text[:1].upper() + text[1:] if text else "Untitled"


def to_csv(topics: list[GapTopic]) -> str:
    """Open topics, one row each (closed ones are in the JSON and on the page)."""
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
