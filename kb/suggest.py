"""Agent assist: a pasted customer message in, ready-to-paste answers out.

Messages are long and chatty: greetings, signatures, quoted earlier replies and personal
data must not drive the match, and a message can ask two things. So the message is
cleaned, split into question units, each unit is searched, and the best *sections* are
merged so every question gets its answer. Replies are plain text (lists kept readable)
ending with the link to the exact section, in the message's language.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from kb import language
from kb.errors import QueryError
from kb.index import SearchIndex
from kb.pii import scrub
from kb.search import Searcher, SearchResult
from kb.text import fold_diacritics

MAX_UNITS = 6
MAX_SUGGESTIONS = 5

_QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*(?:original message|izvorna poruka|forwarded message)|"
    r"on .{3,80} wrote:|dana .{3,80} (?:je )?napisa[oa]?:|from:\s|šalje:\s|sent from my|"
    r"poslano s mo(?:g|jeg)|get outlook for)",
    re.I,
)
_SIGN_OFF = re.compile(
    r"^(?:best regards|kind regards|regards|thanks(?: in advance)?|thank you|cheers|"
    r"lijep pozdrav|lp|srdačan pozdrav|s poštovanjem|pozdrav|hvala(?: unaprijed)?|"
    r"unaprijed hvala|puno hvala)\b[\s,.!]*(?:[A-ZČĆĐŠŽ][\w.-]*\s*){0,3}$",
    re.I,
)
_GREETING = re.compile(
    r"^(?:hi there|hello there|hi|hello|hey|dear\b[^,\n]*|good (?:morning|afternoon|evening)|"
    r"poštovani\w*|bok|pozdrav|dobar dan|dobro jutro|dobra večer|hej|zdravo|cao|ćao)\b[\s,!.:]*",
    re.I,
)
_PLACEHOLDER = re.compile(r"\[(?:email|phone|card|iban|oib|order)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ASKS = re.compile(
    r"\?|\b(?:how|what|when|where|why|can|could|do you|is it|is there|i want|i need|"
    r"i would like|i'd like|please|help|kako|što|sto|kada|kad|gdje|zašto|zasto|mogu li|"
    r"možete li|mozete li|može li|moze li|je li|jel|želim|zelim|trebam|htio bih|"
    r"htjela bih|molim|ne znam|ne mogu|nije|not|didn't|hasn't|haven't|won't|can't)\b",
    re.I,
)


def _content_words(sentence: str) -> list[str]:
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    stop = language.STOPWORDS["en"] | language.STOPWORDS["hr"]
    return [w for w in words if fold_diacritics(w) not in stop and len(w) > 2]


def clean_message(message: str, order_pattern: str | None = None) -> str:
    """The customer's own words: no quoted history, greeting, sign-off or personal data."""
    lines: list[str] = []
    for raw in message.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if _QUOTE_START.match(line) or line in ("--", "-- "):
            break  # everything below is history or signature
        if _SIGN_OFF.match(line) and lines:
            break  # a sign-off ends the message; "Thanks for ..." up front does not
        line = _GREETING.sub("", line).strip()
        if line:
            lines.append(line)
    return scrub("\n".join(lines), order_pattern)


def question_units(text: str) -> list[str]:
    """Sentences that ask or request something. A short one ("What should I do?") takes
    the sentence before it along, which says what it is about."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = " ".join(paragraph.split())  # lines wrapped by the mail client
        sentences += [s.strip() for s in _SENTENCE.split(joined) if len(s.strip()) > 2]
    asks: list[str] = []
    statements: list[str] = []
    previous = ""
    for sentence in sentences:
        content = _content_words(sentence)
        if _ASKS.search(sentence):
            if len(content) <= 2 and previous:  # vague: it is about the sentence before
                if asks and asks[-1] == previous:
                    asks.pop()
                elif previous in statements:
                    statements.remove(previous)
                asks.append(f"{previous} {sentence}")
            else:
                asks.append(sentence)
        elif len(content) >= 2:
            statements.append(sentence)  # "my card was declined" is a question too
        previous = sentence
    units = asks + [s for s in statements if not any(s in a for a in asks)]
    if not units:
        units = [text.strip()] if text.strip() else []
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
class SuggestResult:
    lang: str | None
    cleaned: str
    questions: list[str]
    suggestions: list[Suggestion]
    note: str | None = None
    searches: list[tuple[str, SearchResult]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "cleaned": self.cleaned,
            "questions": self.questions,
            "note": self.note,
            "suggestions": [s.to_dict() for s in self.suggestions],
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


_MORE = {"hr": "Više o tome", "en": "More details"}


def _replies(title: str, section: str | None, text: str, url: str, lang: str) -> tuple[str, str]:
    more = _MORE.get(lang, _MORE["en"])
    plain = f"{text.strip()}\n\n{more}: {url}"
    heading = f"**{section}**\n\n" if section else ""
    label = f"{title} › {section}" if section else title
    markdown = f"{heading}{text.strip()}\n\n[{label}]({url})"
    return plain, markdown


def _fit(text: str, max_chars: int) -> str:
    """A run-on paragraph without full stops is still a question: search its first
    ``max_chars`` characters (cut at a word) instead of refusing it as too long."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


def suggest(
    searcher: Searcher,
    message: str,
    lang: str | None = None,
    *,
    base_url: str = "",
    order_pattern: str | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> SuggestResult:
    index = searcher.index
    cleaned = clean_message(message, order_pattern)
    if lang is None:
        lang = language.detect(cleaned, index.languages) if cleaned else None
    units = question_units(cleaned)
    best: dict[tuple[str, str, str | None], Suggestion] = {}
    per_unit: list[list[Suggestion]] = []
    searches: list[tuple[str, SearchResult]] = []
    notes: list[str] = []
    for unit in units:
        words = _PLACEHOLDER.sub(" ", unit)  # "[order]" is not what the customer asks about
        words = _fit(words, searcher.max_query_chars)
        try:
            result = searcher.search(words, limit=5, prefer=lang)
        except QueryError:  # nothing searchable left in this unit (only placeholders)
            continue
        searches.append((unit, result))
        if result.fallback_from:
            notes.append(
                f"No {result.fallback_from} article answers “{unit[:60]}”; "
                f"offering the {result.lang} one."
            )
        found = []
        for hit in result.hits[:3]:
            text = index.section_text(hit.lang, hit.slug, hit.section_id)
            url = base_url.rstrip("/") + hit.url
            plain, markdown = _replies(hit.title, hit.section, text, url, hit.lang)
            suggestion = Suggestion(
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
            key = (hit.lang, hit.slug, hit.section_id)
            if key not in best or best[key].score < suggestion.score:
                best[key] = suggestion
            found.append(best[key])
        per_unit.append(found)
    # every question's best answer first, then the strongest of the rest
    chosen: list[Suggestion] = []
    for found in per_unit:
        if found and found[0] not in chosen:
            chosen.append(found[0])
    for suggestion in sorted(best.values(), key=lambda s: -s.score):
        if len(chosen) >= limit:
            break
        if suggestion not in chosen:
            chosen.append(suggestion)
    chosen = chosen[:limit]
    return SuggestResult(lang, cleaned, units, chosen, " ".join(notes) or None, searches)
