"""Snippets: the part of a section that best shows why it matched, with matches marked.

Highlighting escapes first and marks second, so article text or a query can never
inject markup through the ``<mark>`` tags.
"""

from __future__ import annotations

import html

from kb.lexical import Analyzer

SNIPPET_CHARS = 240


def make_snippet(
    text: str, query_terms: set[str], analyzer: Analyzer, max_chars: int = SNIPPET_CHARS
) -> tuple[str, str]:
    """(plain snippet, HTML snippet with <mark>) of the best window of ``text``."""
    text = " ".join(text.split())
    if not text:
        return "", ""
    spans = [s for s in analyzer.word_spans(text) if s[2] in query_terms]
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
