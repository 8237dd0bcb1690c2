"""Help centers written for DocFX, MkDocs or Docusaurus import without raw syntax showing."""

from pathlib import Path

from kb.content.dialects import normalise
from kb.content.markdown import parse

DOCFX = """# <a name="fix-it"></a>Fix the sign-in loop

> [!NOTE]
> Restart Outlook first.

:::image type="content" source="media/signin.png" alt-text="The sign-in window":::

[!INCLUDE [disclaimer](../includes/disclaimer.md)]

> [!div class="nextstepaction"]
> [Next step](next.md)
"""


def test_docfx_extensions_are_translated(tmp_path: Path) -> None:
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "disclaimer.md").write_text("Third-party products are not ours.")
    article = tmp_path / "docs" / "a.md"
    article.parent.mkdir()
    html = parse(normalise(DOCFX, path=article)).html
    assert "[!NOTE]" not in html and "<strong>Note:</strong>" in html
    assert ":::" not in html and 'alt="The sign-in window"' in html
    assert "Third-party products are not ours." in html
    assert "[!INCLUDE" not in html and "[!div" not in html
    assert "&lt;a name" not in html


def test_missing_include_is_dropped_cleanly(tmp_path: Path) -> None:
    html = parse(normalise(DOCFX, path=tmp_path / "a.md")).html
    assert "INCLUDE" not in html


def test_mkdocs_and_docusaurus_admonitions_become_quotes() -> None:
    source = '!!! warning "Careful"\n    Unplug it first.\n\nAfter.\n\n:::tip\nUse the app.\n:::\n'
    html = parse(normalise(source)).html
    assert "!!!" not in html and ":::" not in html
    assert "<strong>Careful</strong>" in html and "Unplug it first." in html
    assert "<strong>Tip</strong>" in html


def test_croatian_admonition_labels() -> None:
    html = parse(normalise("> [!TIP]\n> Savjet.", lang="hr")).html
    assert "<strong>Savjet:</strong>" in html


def test_hostile_html_is_kept_escaped() -> None:
    html = parse(normalise("<script>alert(1)</script>\n\n<Tabs>\nx\n</Tabs>")).html
    assert "<script>" not in html and "&lt;script&gt;" in html
