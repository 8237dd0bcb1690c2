"""Turn other help-center Markdown dialects into plain CommonMark before parsing.

Existing help centers (DocFX / Microsoft Learn, MkDocs, Docusaurus MDX, Hugo) must import
without edits, and a reader must never see raw directive syntax. Known extensions are
translated (images, admonitions, includes); unknown directives are dropped, never shown.
"""

from __future__ import annotations

import re
from pathlib import Path

_ADMONITION_LABELS = {
    "en": {
        "note": "Note",
        "tip": "Tip",
        "important": "Important",
        "warning": "Warning",
        "caution": "Caution",
        "info": "Info",
        "danger": "Danger",
    },
    "hr": {
        "note": "Napomena",
        "tip": "Savjet",
        "important": "Važno",
        "warning": "Upozorenje",
        "caution": "Oprez",
        "info": "Informacija",
        "danger": "Opasnost",
    },
}

_DOCFX_IMAGE = re.compile(r":::image\s+(?P<attrs>.*?)(?::::|$)", re.S)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_INCLUDE = re.compile(r"\[!INCLUDE\s*\[[^\]]*\]\(([^)]+)\)\]", re.I)
_DOCFX_ALERT = re.compile(r"^(\s*>\s*)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.I | re.M)
_DOCFX_DIV = re.compile(r"^\s*>\s*\[!(div|VIDEO|zone|moniker)[^\]]*\]\s*$", re.I | re.M)
_INLINE_DIRECTIVE = re.compile(r"\[!(VIDEO|div|zone)[^\]]*\]", re.I)
_FENCE_DIRECTIVE = re.compile(r"^\s*:::.*$", re.M)
_HTML_ANCHOR = re.compile(
    r"<a\s+(?:name|id)\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)\s*/?>\s*(?:</a>)?", re.I
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_LINK = re.compile(r"<a\s+[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
_CLOSING_A = re.compile(r"</a\s*>", re.I)
_HARMLESS_TAGS = re.compile(r"</?(?:br|sup|sub|kbd|span|u|center|p)\s*/?>", re.I)
_HUGO_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
_MDX_IMPORT = re.compile(r"^(?:import|export)\s+.*?(?:from\s+['\"].*?['\"])?;?\s*$", re.M)
_JSX_LINE = re.compile(r"^\s*</?[A-Z][\w.]*(?:\s[^<>]*)?/?>\s*$", re.M)
_MKDOCS_ADMONITION = re.compile(
    r"^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)\s*(?P<kind>\w+)(?:\s+\"(?P<title>[^\"]*)\")?\s*\n"
    r"(?P<body>(?:(?:[ \t]*\n)|(?:(?P=indent)(?:    |\t).*\n?))*)",
    re.M,
)
_DOCUSAURUS_ADMONITION = re.compile(
    r"^:::(?P<kind>note|tip|info|caution|danger|warning|important)[ \t]*(?P<title>[^\n]*)\n"
    r"(?P<body>.*?)^:::[ \t]*$",
    re.M | re.S,
)


def _label(kind: str, lang: str) -> str:
    labels = _ADMONITION_LABELS.get(lang, _ADMONITION_LABELS["en"])
    return labels.get(kind.lower(), kind.capitalize())


def _quote(title: str, body: str) -> str:
    lines = [f"> **{title}**", ">"] + [
        f"> {line}" if line.strip() else ">" for line in body.strip("\n").splitlines()
    ]
    return "\n".join(lines) + "\n"


def normalise(source: str, *, lang: str = "en", path: Path | None = None, depth: int = 0) -> str:
    """CommonMark equivalent of ``source`` with every known extension resolved or removed."""

    def image(m: re.Match[str]) -> str:
        attrs = dict(_ATTR.findall(m.group("attrs")))
        alt = attrs.get("alt-text") or attrs.get("alt") or ""
        src = attrs.get("source") or attrs.get("src") or ""
        return f"![{alt}]({src})" if src else ""

    def include(m: re.Match[str]) -> str:
        if path is None or depth >= 3:
            return ""
        target = (path.parent / m.group(1).strip()).resolve()
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
        return normalise(text, lang=lang, path=target, depth=depth + 1)

    def mkdocs(m: re.Match[str]) -> str:
        body = re.sub(r"^(?:    |\t)", "", m.group("body"), flags=re.M)
        return _quote(m.group("title") or _label(m.group("kind"), lang), body) + "\n"

    def docusaurus(m: re.Match[str]) -> str:
        return _quote(m.group("title").strip() or _label(m.group("kind"), lang), m.group("body"))

    text = source.replace("\r\n", "\n")
    text = _INCLUDE.sub(include, text)
    text = _DOCFX_IMAGE.sub(image, text)
    text = _DOCFX_ALERT.sub(lambda m: f"{m.group(1)}**{_label(m.group(2), lang)}:**", text)
    text = _DOCFX_DIV.sub("", text)
    text = _INLINE_DIRECTIVE.sub("", text)
    text = _DOCUSAURUS_ADMONITION.sub(docusaurus, text)
    text = _FENCE_DIRECTIVE.sub("", text)
    text = _MKDOCS_ADMONITION.sub(mkdocs, text)
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_LINK.sub(lambda m: f"[{m.group(2).strip()}]({m.group(1)})", text)
    text = _HTML_ANCHOR.sub("", text)
    text = _CLOSING_A.sub("", text)
    text = _HARMLESS_TAGS.sub("", text)
    text = _HUGO_SHORTCODE.sub("", text)
    text = _MDX_IMPORT.sub("", text) if path is not None and path.suffix == ".mdx" else text
    return _JSX_LINE.sub("", text)
