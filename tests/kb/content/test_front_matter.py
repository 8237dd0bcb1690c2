"""Every front-matter field rejects its bad values at the key's line, in `kb check` and
`kb index` alike; good values of every accepted form load; unknown keys are ignored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.content.articles import load_article, load_articles
from kb.content.front_matter import FrontMatter
from tests.helpers import write

# (key: bad value, the words the message must have); the key sits on line 3 of the file
# (a repeated key: the line of its second appearance, 4)
BAD = [
    ("draft: možda", "must be true or false"),
    ('draft: "true"', "must be true or false"),
    ("featured: 2", "must be true or false"),
    ("updated: sutra", "must be a date"),
    ("updated: 2026-02-30", "must be a date"),
    ("ms.date: 13/45/2020", "must be a date"),
    ("lastmod: [2026]", "must be a date"),
    ("tags: zamjena", "must be a list"),
    ("aliases: stari-naziv", "must be a list"),
    ("tags: [ok, [nested]]", "must be text"),
    ("title: [a, b]", "must be text"),
    ("description: {a: b}", "must be text"),
    ("category: [a]", "must be text"),
    ("translation_key: [a]", "must be text"),
    ("slug: Povrat Novca", "for example 'povrat-novca'"),
    ("translation_of: Povrat Novca", "lower-case letters"),
    ("lang: hrvatski", "must be a language code"),
    ("lang: en", "contradicts the language folder 'hr/'"),
    ('title: "Povrat novca', 'the " opened on this line is never closed'),
    ("draft: false\ndraft: true", "written twice (first on line 3)"),
]


def _article(line: str) -> str:
    return f"---\nauthor: Ana\n{line}\n---\n# Povrat\n\nTekst članka.\n"


@pytest.mark.parametrize(("line", "reason"), BAD, ids=[b[0].replace("\n", " ") for b in BAD])
def test_each_bad_value_is_an_error_at_its_key(tmp_path: Path, line: str, reason: str) -> None:
    write(tmp_path, "hr/povrati/povrat.md", _article(line))
    loaded = load_articles(tmp_path, "hr")
    assert loaded.articles == [] and loaded.skipped == 1  # never published with a guess
    [problem] = loaded.problems
    expected_line = 4 if "twice" in reason else 3
    assert (problem.path, problem.line, problem.severity) == (
        "hr/povrati/povrat.md",
        expected_line,
        "error",
    )
    assert reason in problem.message
    if "twice" not in reason and "never closed" not in reason:
        assert problem.message.startswith(line.split(":")[0] + ":")  # names the key


def test_kb_check_and_kb_index_report_the_same_violations(tmp_path: Path) -> None:
    articles, index = tmp_path / "articles", tmp_path / "index"
    write(articles, "hr/povrati/ok.md", "---\ntitle: U redu\n---\nSve je u redu.\n")
    write(
        articles,
        "hr/povrati/losa.md",
        "---\ntitle: Loša\ndraft: možda\nupdated: sutra\ntags: zamjena\n---\nTekst.\n",
    )
    runner = CliRunner()
    check = runner.invoke(app, ["check", "--articles", str(articles), "--no-embeddings"])
    indexed = runner.invoke(app, ["index", "--articles", str(articles), "--index", str(index)])
    assert check.exit_code == 1 and indexed.exit_code == 1
    expected = [
        f"{articles}/hr/povrati/losa.md:3: error: draft: 'možda' must be true or false",
        f"{articles}/hr/povrati/losa.md:4: error: updated: 'sutra' must be a date",
        f"{articles}/hr/povrati/losa.md:5: error: tags: 'zamjena' must be a list",
    ]
    for line in expected:
        assert line in check.output
        assert line in indexed.output
    assert "not published" in indexed.output


def test_accepted_forms_load_as_the_page_shows_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "hr/povrati/povrat.md",
        "---\ntitle: 2048\nslug: /povrat-2048\ndraft: no\nfeatured: yes\n"
        "updated: 14.09.2026.\ntags: [povrat, 30]\ntranslation_key:\n"
        "ms.author: someone\nhide: [toc]\n---\nTekst.\n",
    )
    article = load_article(path, tmp_path)
    assert (article.title, article.slug, article.draft, article.featured) == (
        "2048",
        "povrat-2048",
        False,
        True,
    )
    assert article.updated == date(2026, 9, 14) and article.tags == ("povrat", "30")
    assert article.translation_key is None


def test_imported_keys_keep_their_own_forms(tmp_path: Path) -> None:
    """DocFX writes `ms.date: 09/14/2026` and a comma-separated `keywords`."""
    path = write(
        tmp_path,
        "docs/setup.md",
        "---\ntitle: Set up\nms.date: 09/14/2026\nkeywords: mail, setup\n"
        "ms.contentlocale: en-us\n---\nText.\n",
    )
    article = load_article(path, tmp_path)
    assert article.updated == date(2026, 9, 14) and article.tags == ("mail", "setup")
    assert article.lang == "en"


def test_the_schema_is_the_documented_list_of_keys() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    for name in FrontMatter.model_fields:
        if name not in ("imported_date", "locale", "keywords"):
            assert f"`{name}`" in readme, f"front-matter key {name} is not in the README"
