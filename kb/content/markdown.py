"""Markdown to safe HTML, sections and plain text, from one token stream.

Rendering and chunking share the parse, so the `id` a search hit links to is exactly
the `id` the article page renders. The ``js-default`` preset escapes raw HTML: an
article can never run script in a reader's browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from kb.content.links import asset_url
from kb.text import slugify

SECTION_LEVELS = ("h2", "h3")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


@dataclass(frozen=True)
class Section:
    """Content under one H2/H3 heading (or the intro before the first one: heading None)."""

    heading: Heading | None
    path: tuple[str, ...]
    text: str
    first_line: int


@dataclass(frozen=True)
class Ref:
    """A link or image as written, and the body line it is on (for `path:line` reports)."""

    target: str
    line: int


@dataclass(frozen=True)
class Document:
    html: str
    headings: tuple[Heading, ...]
    sections: tuple[Section, ...]
    first_heading: str | None
    first_paragraph: str
    images: tuple[Ref, ...] = field(default=())
    links: tuple[Ref, ...] = field(default=())


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("js-default", {"typographer": False})
    md.use(footnote_plugin).use(deflist_plugin)
    md.enable(["table", "strikethrough"])
    return md


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or str(child.attrs.get("alt", "")))
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()


def tokens_to_text(tokens: Sequence[Token]) -> str:
    """Readable plain text: no Markdown syntax, lists as '- ' / '1. ' lines, tables as rows."""
    lines: list[str] = []
    list_stack: list[list[int]] = []  # [next number] for ordered, [] for bullet
    prefix_pending: str | None = None
    row: list[str] = []
    in_cell = False
    quote_depth = 0
    for tok in tokens:
        t = tok.type
        if t == "bullet_list_open":
            list_stack.append([])
        elif t == "ordered_list_open":
            list_stack.append([int(tok.attrs.get("start", 1) or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
            if not list_stack:
                lines.append("")
        elif t == "list_item_open":
            indent = "  " * (len(list_stack) - 1)
            current = list_stack[-1] if list_stack else []
            if current:
                prefix_pending = f"{indent}{current[0]}. "
                current[0] += 1
            else:
                prefix_pending = f"{indent}- "
        elif t == "blockquote_open":
            quote_depth += 1
        elif t == "blockquote_close":
            quote_depth -= 1
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            lines.append(" | ".join(row))
        elif t in ("th_open", "td_open"):
            in_cell = True
        elif t in ("th_close", "td_close"):
            in_cell = False
        elif t == "inline":
            text = _inline_text(tok)
            if in_cell:
                row.append(text)
            elif text:
                if prefix_pending is not None:
                    text = prefix_pending + text
                    prefix_pending = None
                elif list_stack:
                    text = "  " * len(list_stack) + text
                lines.append(text)
        elif t in ("fence", "code_block"):
            lines.append(tok.content.rstrip("\n"))
        elif (t == "paragraph_close" and not list_stack and not in_cell) or t in (
            "bullet_list_close",
            "ordered_list_close",
            "table_close",
        ):
            lines.append("")
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _unique_id(base: str, seen: set[str]) -> str:
    candidate, n = base, 1
    while candidate in seen:
        n += 1
        candidate = f"{base}-{n}"
    seen.add(candidate)
    return candidate


def _line(source_lines: list[str], token: Token, written: str) -> int:
    """Body line of a link inside a block: the line that shows it, else the block's first."""
    first, last = token.map if token.map else (0, 1)
    for number in range(first, min(last, len(source_lines))):
        if written in source_lines[number]:
            return number + 1
    return first + 1


def parse(
    source: str,
    *,
    asset_base: PurePosixPath | None = None,
) -> Document:
    """Parse Markdown once into page HTML, heading ids, sections and plain text.

    ``asset_base`` is the article's folder relative to the articles root: relative image
    paths are rewritten to `/assets/` + that path so pages can serve them. Links are
    rewritten later, by :func:`kb.content.links.rewrite`, once every article's URL is known.
    """
    md = _parser()
    env: dict[str, object] = {}
    tokens = md.parse(source, env)
    seen: set[str] = set()
    headings: list[Heading] = []
    images: list[Ref] = []
    links: list[Ref] = []
    source_lines = source.splitlines()
    first_heading: str | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = _inline_text(tokens[i + 1])
            if tok.tag == "h1" and first_heading is None:
                first_heading = text
            hid = _unique_id(slugify(text), seen)
            tok.attrSet("id", hid)
            headings.append(Heading(int(tok.tag[1]), text, hid))
        elif tok.type == "inline":
            for child in tok.children or []:
                if child.type == "image":
                    src = str(child.attrs.get("src", ""))
                    images.append(Ref(src, _line(source_lines, tok, unquote(src))))
                    child.attrSet("src", asset_url(src, asset_base))
                    child.attrSet("loading", "lazy")
                elif child.type == "link_open":
                    href = str(child.attrs.get("href", ""))
                    links.append(Ref(href, _line(source_lines, tok, unquote(href))))
                    if re.match(r"^https?://", href):
                        child.attrSet("rel", "noopener nofollow")
    body_html = md.renderer.render(tokens, md.options, env)
    sections = _split_sections(tokens)
    first_paragraph = ""
    for i, tok in enumerate(tokens):
        if tok.type == "paragraph_open" and tok.level == 0:
            first_paragraph = _inline_text(tokens[i + 1])
            break
    return Document(
        html=_add_heading_anchors(body_html),
        headings=tuple(headings),
        sections=tuple(sections),
        first_heading=first_heading,
        first_paragraph=first_paragraph,
        images=tuple(images),
        links=tuple(links),
    )


_HEADING_RE = re.compile(r'<(h[2-4]) id="([^"]+)">(.*?)</\1>', re.S)


def _add_heading_anchors(body: str) -> str:
    def anchor(m: re.Match[str]) -> str:
        tag, hid, inner = m.groups()
        return (
            f'<{tag} id="{hid}">{inner} <a class="anchor" href="#{hid}" '
            f'aria-label="#">#</a></{tag}>'
        )

    return _HEADING_RE.sub(anchor, body)


def _split_sections(tokens: Sequence[Token]) -> list[Section]:
    sections: list[Section] = []
    trail: dict[int, str] = {}
    current: Heading | None = None
    path: tuple[str, ...] = ()
    start_line = 1
    buffer: list[Token] = []

    def flush() -> None:
        text = tokens_to_text(buffer)
        if text or current is not None:
            sections.append(Section(current, path, text, start_line))

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.tag in SECTION_LEVELS:
            flush()
            level = int(tok.tag[1])
            text = _inline_text(tokens[i + 1])
            trail = {k: v for k, v in trail.items() if k < level}
            trail[level] = text
            current = Heading(level, text, str(tok.attrs.get("id", slugify(text))))
            path = tuple(trail[k] for k in sorted(trail))
            start_line = (tok.map[0] + 1) if tok.map else start_line
            buffer = []
            i += 3
            continue
        if tok.type == "heading_open" and tok.tag == "h1":
            i += 3  # the title is not section content
            continue
        buffer.append(tok)
        i += 1
    flush()
    return sections


def escape(text: str) -> str:
    return html.escape(text, quote=True)
