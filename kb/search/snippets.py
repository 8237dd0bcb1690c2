"""Snippets: the part of a section that best shows why it matched, with matches marked.

A section's text keeps its structure as lines ("- " list items, "a | b" table rows, see
``kb.content.markdown.tokens_to_text``); a snippet is one line of prose, so list items are
joined with " · " and table rows read as "first cell: the others." instead of showing
dashes and pipes. Highlighting escapes first and marks second, so article text or a
query can never inject markup through the ``<mark>`` tags.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from kb.search.lexical import Analyzer

SNIPPET_CHARS = 240
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?=\S)")
CELL = " | "
ITEM_SEPARATOR = " · "


def readable(text: str) -> str:
    """Structured section text as one line of prose: no list markers, no table pipes."""
    parts: list[str] = []
    in_list = False
    for raw in text.splitlines():
        line = " ".join(raw.split())
        item = LIST_ITEM.match(raw)
        if in_list and not item and parts and parts[-1][-1:] not in ".!?:;":
            parts[-1] += "."  # a list ends like a sentence before the text goes on
        if not line:
            in_list = False
            continue
        if item:
            line = " ".join(raw[item.end() :].split())
        elif CELL in line:
            first, *rest = (cell.strip() for cell in line.split("|"))
            cells = [c for c in rest if c and c not in ("–", "-")]
            line = f"{first}: {', '.join(cells)}" if first and cells else first or ", ".join(cells)
            line = line if line[-1:] in ".!?" else line + "."
        if item and in_list and parts and parts[-1][-1:] not in ".!?:;,":
            parts[-1] += ITEM_SEPARATOR.rstrip()
        parts.append(line)
        in_list = bool(item)
    return " ".join(parts)


@lru_cache(maxsize=8192)
def _words(text: str, analyzer: Analyzer) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """A section as prose and its words' spans and terms. Sections do not change while an
    index is served, and analysing them was a third of a search's time beyond the model
    call (ten hits a query): each is analysed once, then looked up."""
    prose = readable(text)
    return prose, tuple(analyzer.word_spans(prose))


def make_snippet(
    text: str, query_terms: set[str], analyzer: Analyzer, max_chars: int = SNIPPET_CHARS
) -> tuple[str, str]:
    """(plain snippet, HTML snippet with <mark>) of the best window of ``text``."""
    text, words = _words(text, analyzer)
    if not text:
        return "", ""
    spans = [s for s in words if s[2] in query_terms]
    start = 0
    if spans and len(text) > max_chars:
        best, best_count = 0, -1
        for i, (s0, _, _) in enumerate(spans):
            window = {t for (a, b, t) in spans[i:] if b <= s0 + max_chars}
            if len(window) > best_count:
                best, best_count = s0, len(window)
        start = best
        # back up to a sentence start when one is near, so the snippet reads well
        sentence = max(text.rfind(". ", 0, start), text.rfind("? ", 0, start))
        if sentence != -1 and start - sentence < max_chars // 3:
            start = sentence + 2
        elif start > 0:
            space = text.rfind(" ", 0, max(start - 20, 0))
            start = space + 1 if space != -1 else 0
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    window_text = text[start:end]
    parts: list[str] = []
    cursor = 0
    for a, b, _ in (s for s in spans if s[0] >= start and s[1] <= end):
        a, b = a - start, b - start
        parts.append(html.escape(window_text[cursor:a]))
        parts.append(f"<mark>{html.escape(window_text[a:b])}</mark>")
        cursor = b
    parts.append(html.escape(window_text[cursor:]))
    return prefix + window_text + suffix, html.escape(prefix) + "".join(parts) + html.escape(suffix)
