"""Agent assist: a pasted customer message in, ready-to-paste answers out.

Messages are long and chatty: greetings, signatures, quoted earlier replies and personal
data must not drive the match, and a message can ask two things. So the message is
cleaned (:mod:`kb.assist.messages`), split into units, each unit is searched, and the best
*sections* are merged so every question gets its answer. Replies are plain text (lists
kept readable) ending with the link to the exact section, in the message's language, and
one combined draft answers the whole message (:mod:`kb.assist.replies`).

A unit either asks ("Mogu li platiti na rate?") or only tells ("my card was declined.");
both are searched, since a told problem is often the real question, but only the asking
ones count as questions the help center failed to answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from kb import language
from kb.assist.messages import clean_message
from kb.assist.replies import Answer, Draft, compose_draft, replies
from kb.errors import QueryError, unknown_language
from kb.pii import PLACEHOLDER
from kb.search.index import SearchIndex
from kb.search.searcher import Searcher, SearchResult
from kb.text import fit_words, fold_diacritics

MAX_UNITS = 6
MAX_SUGGESTIONS = 5
UNIT_HITS = 5  # hits searched for each unit (the first three become replies)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ASKS = re.compile(
    r"\?|\b(?:how|what|when|where|why|can|could|do you|is it|is there|i want|i need|"
    r"i would like|i'd like|please|help|kako|što|sto|kada|kad|gdje|zašto|zasto|mogu li|"
    r"možete li|mozete li|može li|moze li|je li|jel|želim|zelim|trebam|htio bih|"
    r"htjela bih|molim|ne znam|ne mogu|nije|not|didn't|hasn't|haven't|won't|can't)\b",
    re.I,
)


# how customers say where to reach them: with a scrubbed number or address and nothing
# else, such a sentence asks nothing of the help center ("Molim javite se na [phone].")
_REACH_ME = frozenset(
    [
        "javite",
        "javi",
        "nazovite",
        "nazovi",
        "kontaktirajte",
        "kontaktiraj",
        "pišite",
        "pisite",
        "pošaljite",
        "posaljite",
        "odgovorite",
        "mail",
        "maila",
        "mailom",
        "email",
        "emaila",
        "emailom",
        "e-mail",
        "broj",
        "broju",
        "telefon",
        "telefonom",
        "mobitel",
        "mobitela",
        "mobitelu",
        "putem",
        "preko",
        "bilo",
        "kada",
        "call",
        "text",
        "contact",
        "reach",
        "write",
        "send",
        "reply",
        "back",
        "phone",
        "number",
        "mobile",
        "address",
        "anytime",
        "any",
        "time",
    ]
)


def _only_reach_me(sentence: str) -> bool:
    """A sentence giving a scrubbed phone number or address to reach the customer at."""
    if not PLACEHOLDER.search(sentence):
        return False
    words = _content_words(PLACEHOLDER.sub(" ", sentence))
    return all(w in _REACH_ME for w in words)


def _content_words(sentence: str) -> list[str]:
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    stop = language.STOPWORDS["en"] | language.STOPWORDS["hr"]
    return [w for w in words if fold_diacritics(w) not in stop and len(w) > 2]


def question_units(text: str) -> list[str]:
    """The units' texts (see :func:`split_units`)."""
    return [unit for unit, _asks in split_units(text)]


def split_units(
    text: str, stands_alone: Callable[[str], bool] | None = None
) -> list[tuple[str, bool]]:
    """Sentences that ask or request something (True), then those that only tell of a
    problem (False). A short ask ("What should I do?") takes the sentence before it along,
    which says what it is about, unless it names two things and ``stands_alone`` says the
    help center answers it by itself ("Mogu li platiti na rate?" after "the washer
    arrived damaged")."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = " ".join(paragraph.split())  # lines wrapped by the mail client
        sentences += [s.strip() for s in _SENTENCE.split(joined) if len(s.strip()) > 2]
    asks: list[str] = []
    statements: list[str] = []
    previous = ""
    for sentence in sentences:
        if _only_reach_me(sentence):
            continue
        content = _content_words(sentence)
        if _ASKS.search(sentence):
            # one word ("Kako to riješiti?") never stands alone, however sure a search is
            vague = len(content) <= 1 or (
                len(content) == 2 and not (stands_alone and stands_alone(sentence))
            )
            if vague and previous:  # it is about the sentence before
                if asks and asks[-1] == previous:
                    asks.pop()
                elif previous in statements:
                    statements.remove(previous)
                asks.append(f"{previous} {sentence}")
            else:
                asks.append(sentence)
        elif len(content) >= 2 and not sentence.endswith(":"):  # "my details:" introduces
            statements.append(sentence)  # "my card was declined" is a question too
        previous = sentence
    units = [(a, True) for a in asks]
    # a told problem is the question when nothing is asked, context beside real questions
    units += [(s, not asks) for s in statements if not any(s in a for a in asks)]
    if not units and text.strip():
        units = [(text.strip(), True)]  # nothing recognisable: the whole text is the question
    return units[:MAX_UNITS]


@dataclass
class Suggestion:
    lang: str
    slug: str
    title: str
    section: str | None
    section_id: str | None
    url: str
    confidence: str
    score: float
    question: str  # the part of the message it answers
    text: str  # the section as plain text
    reply_text: str
    reply_markdown: str
    html: str = ""
    search_id: str | None = None
    other_language: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Unit:
    """One part of the message and what its search found."""

    text: str
    asks: bool  # a question or request; False: it only tells ("my card was declined.")
    result: SearchResult = field(repr=False)
    search_id: str | None = None

    @property
    def answered(self) -> bool:
        return self.result.answered

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": "question" if self.asks else "context",
            "answered": self.answered,
            "search_id": self.search_id,
        }


@dataclass
class SuggestResult:
    lang: str | None
    cleaned: str
    questions: list[str]
    suggestions: list[Suggestion]
    note: str | None = None
    units: list[Unit] = field(default_factory=list)
    draft: Draft | None = None
    fallbacks: list[tuple[str, str, str]] = field(default_factory=list)  # unit, asked, got
    message_id: str | None = None

    @property
    def searches(self) -> list[tuple[str, SearchResult]]:
        return [(u.text, u.result) for u in self.units]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "cleaned": self.cleaned,
            "questions": self.questions,
            "units": [u.to_dict() for u in self.units],
            "note": self.note,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "draft": self.draft.to_dict() if self.draft else None,
            "message_id": self.message_id,
        }


def section_html(index: SearchIndex, lang: str, slug: str, section_id: str | None) -> str:
    """The rendered HTML of one section, cut from the article page at its heading."""
    article = index.article(lang, slug)
    if article is None:
        return ""
    html = article.html
    if section_id is None:
        end = re.search(r"<h[23] id=", html)
        return html[: end.start()] if end else html
    start = re.search(rf'<(h[23]) id="{re.escape(section_id)}">', html)
    if not start:
        return ""
    level = int(start.group(1)[1])
    stop = re.compile(rf"<h[2-{level}] id=")
    end = stop.search(html, start.end())
    body_start = html.index(">", html.index(f"</h{level}>", start.end())) + 1
    return html[body_start : end.start() if end else len(html)]


def suggest(
    searcher: Searcher,
    message: str,
    lang: str | None = None,
    *,
    base_url: str = "",
    order_pattern: str | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> SuggestResult:
    """Each question of the message searched on its own; the best sections as replies
    (every question's best first) and, in the message's language, one draft."""
    index = searcher.index
    if lang is not None and lang not in index.languages:
        raise unknown_language(lang, index.languages)
    cleaned = clean_message(message, order_pattern)
    if lang is None:
        lang = language.detect(cleaned, index.languages) if cleaned else None
    best: dict[tuple[str, str, str | None], Suggestion] = {}
    per_unit: list[list[Suggestion]] = []
    units: list[Unit] = []
    fallbacks: list[tuple[str, str, str]] = []
    for unit, asks in split_units(cleaned, lambda ask: _answers_alone(searcher, ask, lang)):
        try:
            result = _search_unit(searcher, unit, lang)
        except QueryError:  # nothing searchable left in this unit (only placeholders)
            continue
        units.append(Unit(unit, asks, result))
        if result.fallback_from:
            fallbacks.append((unit, result.fallback_from, result.lang or ""))
        per_unit.append([_keep_best(best, s) for s in _replies(index, unit, result, base_url)])
    draft = None
    if lang is not None and units:
        draft = compose_draft(lang, _draft_answers(units, per_unit, lang))
    notes = [
        f"No {asked} article answers “{unit[:60]}”; offering the {found} one."
        for unit, asked, found in fallbacks
    ]
    chosen = _chosen(per_unit, best, limit)
    texts = [u.text for u in units]
    return SuggestResult(
        lang, cleaned, texts, chosen, " ".join(notes) or None, units, draft, fallbacks
    )


def _search_unit(searcher: Searcher, unit: str, lang: str | None) -> SearchResult:
    words = PLACEHOLDER.sub(" ", unit)  # "[order]" is not what the customer asks about
    return searcher.search(fit_words(words, searcher.max_query_chars), limit=UNIT_HITS, prefer=lang)


def _answers_alone(searcher: Searcher, ask: str, lang: str | None) -> bool:
    """Whether the help center answers a short ask by itself, and surely. Searched as a
    unit is, so when it stands alone its unit's search is the searcher's cached result."""
    try:
        result = _search_unit(searcher, ask, lang)
    except QueryError:
        return False
    return result.answered and result.hits[0].confidence == "strong"


def _replies(
    index: SearchIndex, unit: str, result: SearchResult, base_url: str
) -> list[Suggestion]:
    """The top sections found for one question, as replies ready to paste."""
    out = []
    for hit in result.hits[:3]:
        text = index.section_text(hit.lang, hit.slug, hit.section_id)
        url = base_url.rstrip("/") + hit.url
        plain, markdown = replies(hit.title, hit.section, text, url, hit.lang)
        out.append(
            Suggestion(
                lang=hit.lang,
                slug=hit.slug,
                title=hit.title,
                section=hit.section,
                section_id=hit.section_id,
                url=url,
                confidence=hit.confidence,
                score=hit.confidence_score,
                question=unit,
                text=text,
                reply_text=plain,
                reply_markdown=markdown,
                html=section_html(index, hit.lang, hit.slug, hit.section_id),
                other_language=bool(result.fallback_from),
            )
        )
    return out


def _keep_best(
    best: dict[tuple[str, str, str | None], Suggestion], suggestion: Suggestion
) -> Suggestion:
    """One section answering two questions is suggested once, for the one it fits best."""
    key = (suggestion.lang, suggestion.slug, suggestion.section_id)
    if key not in best or best[key].score < suggestion.score:
        best[key] = suggestion
    return best[key]


def _chosen(
    per_unit: list[list[Suggestion]],
    best: dict[tuple[str, str, str | None], Suggestion],
    limit: int,
) -> list[Suggestion]:
    """Every question's best answer first, then the strongest of the rest."""
    chosen: list[Suggestion] = []
    for found in per_unit:
        if found and found[0] not in chosen:
            chosen.append(found[0])
    for suggestion in sorted(best.values(), key=lambda s: -s.score):
        if len(chosen) >= limit:
            break
        if suggestion not in chosen:
            chosen.append(suggestion)
    return chosen[:limit]


def _draft_answers(units: list[Unit], per_unit: list[list[Suggestion]], lang: str) -> list[Answer]:
    """Each question's best section if its search cleared the threshold in the message's
    language; a told problem joins in only when it is the whole message."""
    asking = [i for i, u in enumerate(units) if u.asks] or list(range(len(units)))
    answers = []
    for i in asking:
        unit, found = units[i], per_unit[i]
        top = found[0] if found else None
        if top is None or not unit.answered or top.lang != lang:
            answers.append(Answer(unit.text))
        else:
            answers.append(Answer(unit.text, top.lang, top.slug, top.section_id, top.text, top.url))
    return answers
