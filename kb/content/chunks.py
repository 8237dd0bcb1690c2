"""Articles become search chunks: one summary chunk plus one per H2/H3 section.

A hit on a chunk links to its section's anchor, so customers land on the answer rather
than the top of a long page. Each chunk fits the embedding model's window (256 word
pieces for all-MiniLM-L6-v2); long sections split on paragraphs, then sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kb.content.articles import Article

CHUNKING_VERSION = 5  # 5: Croatian "dj" folded like đ
PATH_SEPARATOR = " › "


def approx_tokens(text: str) -> int:
    """Word-piece estimate when no tokenizer is at hand: Croatian splits into more pieces."""
    return int(len(text.split()) * 1.6) + 8


@dataclass(frozen=True)
class Chunk:
    lang: str
    slug: str
    section_id: str | None  # None: the article's top (summary chunk)
    heading: str  # the section heading, or the article title for the summary
    path: tuple[str, ...]  # heading trail, e.g. ("Returns", "Refund times")
    text: str  # plain text shown in snippets and agent replies
    kind: str  # "summary" | "section"

    @property
    def context(self) -> str:
        return PATH_SEPARATOR.join(self.path)

    def embed_text(self, title: str) -> str:
        """What the model sees: the heading trail gives a short section its meaning."""
        head = title if self.kind == "summary" else f"{title}{PATH_SEPARATOR}{self.context}"
        return f"{head}\n{self.text}".strip()

    def lexical_text(self, title: str, tags: tuple[str, ...] | list[str] = ()) -> str:
        """Title and the writer's tags go with every section: they say what the whole
        article is about, in the words customers use (measured: +5 points top-1 in hr)."""
        return f"{title}\n{' '.join(tags)}\n{self.context}\n{self.text}"


def _split_long(text: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Pieces under ``budget``: split on paragraphs, then lines (list items), then
    sentences, then words - the coarsest split that fits, so lists stay whole items."""
    if count(text) <= budget:
        return [text]
    joiner = " "
    for pattern, separator in (
        (r"\n\s*\n", "\n\n"),
        (r"\n", "\n"),
        (r"(?<=[^\d\s][.!?])\s+", " "),  # not after "1." of a numbered item
    ):
        units = [u for u in re.split(pattern, text) if u.strip()]
        if len(units) > 1:
            joiner = separator
            break
    else:
        words = text.split()
        step = max(20, int(len(words) * budget / max(count(text), 1)))
        units = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if current and count(candidate) > budget:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    out: list[str] = []
    for piece in pieces:
        too_long = count(piece) > budget and piece != text
        out.extend(_split_long(piece, budget, count) if too_long else [piece])
    return out


MAX_CHUNK_TOKENS = 256  # a section's worth; longer windows (e5 reads 512) blur what a hit is


def token_budget(model_window: int) -> int:
    """Tokens a chunk may use: a section's worth at most, whatever the model could read,
    less room for the special tokens and a prompt such as e5's "passage: "."""
    return min(model_window, MAX_CHUNK_TOKENS) - 16


def chunk_article(
    article: Article,
    max_tokens: int = 240,
    count: Callable[[str], int] = approx_tokens,
) -> list[Chunk]:
    """Summary chunk(s) first, then sections in document order."""
    sections = list(article.doc.sections)
    intro = ""
    if sections and sections[0].heading is None:
        intro = sections.pop(0).text
    lead = intro or article.doc.first_paragraph
    summary_text = "\n".join(p for p in (article.description, lead) if p)
    budget = max_tokens - count(article.title)
    # every piece of a long intro is kept: text left out of the chunks could never be found
    chunks = [
        Chunk(article.lang, article.slug, None, article.title, (), part, "summary")
        for part in (_split_long(summary_text, budget, count) if summary_text else [""])
    ]
    for section in sections:
        if section.heading is None:
            continue
        if section.text.strip():
            head_cost = count(article.title + " ".join(section.path))
            parts = _split_long(section.text, max(32, max_tokens - head_cost), count)
        else:
            parts = [section.heading.text]  # an empty section is still findable by its heading
        for part in parts:
            chunks.append(
                Chunk(
                    article.lang,
                    article.slug,
                    section.heading.id,
                    section.heading.text,
                    section.path,
                    part,
                    "section",
                )
            )
    return chunks
