"""`kb check` on a tree with one of each mistake a writer makes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.content.check import check_tree
from kb.models.embeddings import SentenceTransformerEmbedder
from tests.helpers import write

GOOD = """---
title: Returns
translation_key: returns
updated: 2026-10-01
---
Return within 30 days.

## How to return

Print the label. See [refunds](/en/articles/refunds#how-long) and ![map](img/map.png).
"""


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    write(root, "en/help/returns.md", GOOD)
    (root / "en/help/img").mkdir()
    (root / "en/help/img/map.png").write_bytes(b"\x89PNG")
    write(
        root,
        "en/help/refunds.md",
        "---\ntitle: Refunds\ntranslation_key: refunds\n"
        "updated: 2026-10-01\n---\nMoney back.\n\n## How long\n\n14 days.\n",
    )
    write(
        root,
        "hr/pomoc/povrat.md",
        "---\ntitle: Povrat\ntranslation_key: returns\n"
        "updated: 2026-10-01\n---\nVratite u 30 dana.\n",
    )
    write(root, "en/help/broken-yaml.md", "---\ntitle: [oops\n---\nx\n")
    write(root, "en/other/returns.md", "---\ntitle: Returns again\nupdated: 2026-10-01\n---\nx\n")
    write(
        root,
        "en/help/links.md",
        "---\ntitle: Links\nupdated: 2026-10-01\n---\nIntro.\n\n"
        "See [gone](/en/articles/nothing-here).\n\nAnd [anchor](/en/articles/refunds#nope).\n\n"
        "![lost](img/lost.png)\n\n## Empty section\n\n## Full\n\ntext\n",
    )
    write(root, "en/help/old.md", "---\ntitle: Old\nupdated: 2020-01-01\n---\nOld text.\n")
    write(
        root,
        "en/help/orphan.md",
        "---\ntitle: Orphan\ntranslation_of: no-such-slug\nupdated: 2026-10-01\n---\nText.\n",
    )
    return root


def test_each_mistake_is_reported_with_file_and_line(tree: Path) -> None:
    findings = {
        (f.path, f.line, f.severity, f.message) for f in check_tree(tree, today=date(2026, 11, 25))
    }
    expected_errors = {
        ("en/help/broken-yaml.md", 2, "error"),
        ("en/other/returns.md", 1, "error"),  # duplicate slug in en
        ("en/help/links.md", 7, "error"),  # broken link
        ("en/help/links.md", 9, "error"),  # broken anchor
        ("en/help/links.md", 11, "error"),  # missing image
        ("en/help/orphan.md", 3, "error"),  # translation_of to nowhere
    }
    got = {(p, line, sev) for p, line, sev, _ in findings if sev == "error"}
    assert got == expected_errors, findings
    messages = " | ".join(m for *_, m in findings)
    assert "empty section 'Empty section'" in messages
    assert "not updated since 2020-01-01" in messages
    assert "no 'hr' translation for 'refunds'" in messages
    assert "broken link /en/articles/nothing-here" in messages
    assert "broken anchor /en/articles/refunds#nope" in messages


def test_a_file_that_does_not_parse_is_one_error_not_one_per_link_to_it(tmp_path: Path) -> None:
    """The site keeps serving its last published version, so links to it still work:
    the writer should see the one mistake, not a broken link in every article that
    points to it (by URL, by file, to a section)."""
    root = tmp_path / "articles"
    write(root, "hr/dostava/inozemstvo.md", '---\ntitle: "Nezatvoreno\n---\nTekst.\n')
    write(
        root,
        "hr/dostava/cijene.md",
        "---\ntitle: Cijene\nupdated: 2026-10-01\n---\nVidi [ovdje](/hr/articles/inozemstvo), "
        "[carina](inozemstvo.md#carina) i [nigdje](/hr/articles/nema-je).\n",
    )
    findings = check_tree(root, default_lang="hr", today=date(2026, 11, 25))
    errors = [(f.path, f.line, f.message) for f in findings if f.severity == "error"]
    assert [(p, line) for p, line, _ in errors] == [
        ("hr/dostava/cijene.md", 5),  # the link to an article that really is missing
        ("hr/dostava/inozemstvo.md", 2),
    ], errors
    assert "/hr/articles/nema-je" in errors[0][2]
    assert "never closed" in errors[1][2]


def test_cli_summary_counts_read_right(tree: Path, tmp_path: Path) -> None:
    one = tmp_path / "one"
    write(one, "en/help/broken.md", "---\ntitle: [oops\n---\nx\n")
    result = CliRunner().invoke(app, ["check", "--articles", str(one), "--no-embeddings"])
    assert result.exit_code == 1
    assert "1 error, 0 warnings" in result.output


NEAR_DUPLICATE = (
    "---\ntitle: {title}\nupdated: 2026-10-01\n---\nYou can return any product within 30 "
    "days of delivery. Print the free return label in My orders and drop the parcel "
    "at a GLS point; the refund follows within 14 days.\n"
)


def two_near_duplicates_and_another(root: Path) -> None:
    """Two articles saying the same under different titles, and one about something else."""
    write(root, "en/a/returns.md", NEAR_DUPLICATE.format(title="Returning a product"))
    write(root, "en/a/send-back.md", NEAR_DUPLICATE.format(title="How to return a product"))
    write(
        root,
        "en/a/gift.md",
        "---\ntitle: Gift cards\nupdated: 2026-10-01\n---\n"
        "Gift cards are valid for 12 months and can be used in several purchases.\n",
    )


def test_near_duplicates_are_flagged(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    root = tmp_path / "articles"
    two_near_duplicates_and_another(root)
    findings = check_tree(root, embedder=embedder)
    near = [f for f in findings if "near-duplicate" in f.message]
    assert len(near) == 1 and {near[0].path} <= {"en/a/returns.md", "en/a/send-back.md"}


def test_near_duplicates_from_the_index_vectors_without_the_model(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """The default (pre-commit) path: the last `kb index`'s vectors, no model loaded."""
    from indexer.build import build_index
    from kb.settings import Settings

    root = tmp_path / "articles"
    two_near_duplicates_and_another(root)
    index = tmp_path / "index"
    build_index(Settings(articles_dir=root, index_dir=index), embedder, quiet=True)
    near = [f for f in check_tree(root, index_dir=index) if "near-duplicate" in f.message]
    assert len(near) == 1 and near[0].path in {"en/a/returns.md", "en/a/send-back.md"}
    # an article changed since the index is not compared with stale vectors
    changed = NEAR_DUPLICATE.format(title="Sending a product back") + "\nMore.\n"
    write(root, "en/a/send-back.md", changed)
    assert not [f for f in check_tree(root, index_dir=index) if "near-duplicate" in f.message]


def test_cli_exit_codes_and_editor_format(tree: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["check", "--articles", str(tree), "--no-embeddings"])
    assert bad.exit_code == 1
    assert f"{tree}/en/help/links.md:7: error: broken link" in bad.stdout
    good = tmp_path / "good"
    write(
        good,
        "en/help/returns.md",
        GOOD.replace(
            "[refunds](/en/articles/refunds#how-long) and ![map](img/map.png)", "the label"
        ),
    )
    ok = runner.invoke(app, ["check", "--articles", str(good), "--no-embeddings"])
    assert ok.exit_code == 0, ok.stdout


def test_kb_new_writes_a_transliterated_slug_and_never_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "articles"
    result = runner.invoke(
        app,
        ["new", "Povrat novca", "--lang", "hr", "--category", "povrati", "--articles", str(root)],
    )
    assert result.exit_code == 0, result.output
    path = root / "hr" / "povrati" / "povrat-novca.md"
    text = path.read_text()
    assert text.startswith('---\ntitle: "Povrat novca"\n') and "draft: true" in text
    again = runner.invoke(
        app,
        ["new", "Povrat novca", "--lang", "hr", "--category", "povrati", "--articles", str(root)],
    )
    assert again.exit_code == 1 and "already exists" in again.output
    assert check_tree(root) == [] or all(f.severity == "warning" for f in check_tree(root))
