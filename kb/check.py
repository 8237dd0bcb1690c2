"""`kb check`: everything a writer can get wrong, as `path:line: severity: message`.

Runs without building an index, so it fits a pre-commit hook or a writers' CI job. Errors
(exit code 1) break the site or a link; warnings are worth a look (stale, untranslated,
empty sections, near-duplicate articles that should be merged).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

from kb.articles import Article, load_articles
from kb.embeddings import Embedder, as_passages
from kb.fusion import profile_for

_INTERNAL = re.compile(
    r"^/(?P<lang>[a-z]{2,3})/articles/(?P<slug>[\w-]+)/?(?:#(?P<anchor>[\w-]+))?$"
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    severity: str  # error | warning
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def _line_of(root: Path, article: Article, needle: str) -> int:
    try:
        lines = (root / article.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number
    return article.body_line


def check_tree(
    root: Path,
    *,
    default_lang: str = "en",
    embedder: Embedder | None = None,
    stale_days: int = 365,
    near_duplicate: float | None = None,
    today: date | None = None,
) -> list[Finding]:
    loaded = load_articles(root, default_lang)
    findings = [
        Finding(p.path, p.line, "error", p.message.split("; published as")[0])
        if "is already used by" in p.message
        else Finding(p.path, p.line, p.severity, p.message)
        for p in loaded.problems
    ]
    articles = loaded.articles
    by_key = {(a.lang, a.slug): a for a in articles}
    languages = sorted({a.lang for a in articles})
    anchors = {(a.lang, a.slug): {h.id for h in a.doc.headings} for a in articles}
    today = today or date.today()

    for a in articles:
        for href in a.doc.links:
            link = _INTERNAL.match(href)
            if link:
                target = (link["lang"], link["slug"])
                if target not in by_key:
                    findings.append(
                        Finding(
                            a.path,
                            _line_of(root, a, href),
                            "error",
                            f"broken link {href}: no article '{link['slug']}' in '{link['lang']}'",
                        )
                    )
                elif link["anchor"] and link["anchor"] not in anchors[target]:
                    findings.append(
                        Finding(
                            a.path,
                            _line_of(root, a, href),
                            "error",
                            f"broken anchor {href}: '{link['slug']}' has no section "
                            f"'#{link['anchor']}'",
                        )
                    )
                elif by_key[target].draft and not a.draft:
                    findings.append(
                        Finding(
                            a.path,
                            _line_of(root, a, href),
                            "warning",
                            f"link {href} points to a draft",
                        )
                    )
            elif href.endswith(".md") and not re.match(r"^[a-z]+:", href):
                target_file = (root / a.path).parent / href.split("#")[0]
                if not target_file.exists():
                    findings.append(
                        Finding(
                            a.path,
                            _line_of(root, a, href),
                            "error",
                            f"broken link {href}: file not found",
                        )
                    )
        for src in a.doc.images:
            if re.match(r"^[a-z]+:", src):
                continue
            base = root if src.startswith("/") else (root / PurePosixPath(a.path).parent)
            if not (base / src.lstrip("/").removeprefix("assets/")).exists():
                findings.append(
                    Finding(a.path, _line_of(root, a, src), "error", f"missing image {src}")
                )
        for section in a.doc.sections:
            if section.heading is not None and not section.text.strip():
                line = a.body_line + section.first_line - 1
                findings.append(
                    Finding(a.path, line, "warning", f"empty section '{section.heading.text}'")
                )
        if a.updated and today - a.updated > timedelta(days=stale_days):
            findings.append(
                Finding(
                    a.path,
                    _line_of(root, a, "updated:"),
                    "warning",
                    f"not updated since {a.updated} (over {stale_days} days)",
                )
            )
        translation_of = dict(a.meta).get("translation_of")
        if translation_of and not any(
            o.slug == translation_of and o.lang != a.lang for o in articles
        ):
            findings.append(
                Finding(
                    a.path,
                    _line_of(root, a, "translation_of"),
                    "error",
                    f"translation_of '{translation_of}' points to no article",
                )
            )

    groups: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        if a.translation_key:
            groups[a.translation_key].append(a)
    for key, members in groups.items():
        present = {m.lang for m in members}
        for m in members:
            for lang in languages:
                if lang not in present:
                    findings.append(
                        Finding(
                            m.path,
                            _line_of(root, m, "translation_"),
                            "warning",
                            f"no '{lang}' translation for '{key}'",
                        )
                    )
        for lang in present:
            same = [m for m in members if m.lang == lang]
            for extra in same[1:]:
                findings.append(
                    Finding(
                        extra.path,
                        _line_of(root, extra, "translation_"),
                        "error",
                        f"'{key}' has two '{lang}' articles: {same[0].path} and {extra.path}",
                    )
                )

    if embedder is not None and len(articles) > 1:
        threshold = near_duplicate or profile_for(embedder.name).near_duplicate
        findings += _near_duplicates(articles, embedder, threshold)
    return sorted(findings, key=lambda f: (f.path, f.line, f.message))


def _near_duplicates(
    articles: list[Article], embedder: Embedder, threshold: float
) -> list[Finding]:
    """Two articles answering the same question confuse search and readers: merge them."""
    texts = [
        f"{a.title}\n{a.description}\n{a.doc.first_paragraph}\n"
        + " ".join(s.text for s in a.doc.sections)[:1500]
        for a in articles
    ]
    vectors = embedder.encode(as_passages(embedder, texts))
    sims = vectors @ vectors.T
    findings = []
    for i, a in enumerate(articles):
        for j in range(i + 1, len(articles)):
            b = articles[j]
            if a.lang == b.lang and sims[i, j] >= threshold:
                findings.append(
                    Finding(
                        b.path,
                        1,
                        "warning",
                        f"near-duplicate of {a.path} (similarity "
                        f"{float(sims[i, j]):.2f}): consider merging",
                    )
                )
    return findings


def new_article_text(title: str, lang: str, today: date | None = None) -> str:
    today = today or date.today()
    quoted = title.replace('"', '\\"')
    intro = (
        "Kratak odgovor na najčešće pitanje, u dvije-tri rečenice."
        if lang == "hr"
        else "The short answer to the most common question, in two or three sentences."
    )
    section = "Prvi odjeljak" if lang == "hr" else "First section"
    return (
        "---\n"
        f'title: "{quoted}"\n'
        'description: ""\n'
        "tags: []\n"
        f"lang: {lang}\n"
        "translation_key: \n"
        f"updated: {today.isoformat()}\n"
        "draft: true\n"
        "---\n\n"
        f"{intro}\n\n"
        f"## {section}\n\n"
    )
