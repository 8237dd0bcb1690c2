"""Rendering is safe by construction and shares ids with the chunker."""

from kb.content.markdown import parse

ARTICLE = """Intro paragraph with **bold** text.

## Delivery costs

| Option | Price |
|---|---|
| Standard | 3.99 EUR |

## Delivery costs

1. First step
2. Second step
   - nested point

### Islands

![A map of the islands](images/map.png)

```
code sample
```
"""


def test_raw_html_is_escaped_not_executed() -> None:
    doc = parse('Hello <script>alert("x")</script> <img src=x onerror=alert(1)>')
    assert "<script" not in doc.html
    assert "&lt;script&gt;" in doc.html
    assert "<img src=x" not in doc.html


def test_dangerous_link_schemes_are_not_links() -> None:
    doc = parse("[click](javascript:alert(1)) and [data](data:text/html;base64,xx)")
    assert 'href="javascript:' not in doc.html
    assert 'href="data:' not in doc.html


def test_headings_get_unique_ids_and_anchor_links() -> None:
    doc = parse(ARTICLE)
    ids = [h.id for h in doc.headings]
    assert ids == ["delivery-costs", "delivery-costs-2", "islands"]
    assert '<h2 id="delivery-costs">' in doc.html
    assert 'href="#delivery-costs-2"' in doc.html


def test_tables_lists_code_and_images_render() -> None:
    doc = parse(ARTICLE)
    assert "<table>" in doc.html and "<td>3.99 EUR</td>" in doc.html
    assert "<ol>" in doc.html and "<pre><code>" in doc.html
    assert 'alt="A map of the islands"' in doc.html


def test_relative_images_are_served_from_the_assets_route() -> None:
    from pathlib import PurePosixPath

    doc = parse(ARTICLE, asset_base=PurePosixPath("en/delivery"))
    assert 'src="/assets/en/delivery/images/map.png"' in doc.html


def test_sections_follow_h2_h3_with_heading_path() -> None:
    doc = parse(ARTICLE)
    assert [s.path for s in doc.sections] == [
        (),
        ("Delivery costs",),
        ("Delivery costs",),
        ("Delivery costs", "Islands"),
    ]
    assert doc.sections[0].text == "Intro paragraph with bold text."


def test_plain_text_has_no_markdown_syntax_and_readable_lists() -> None:
    doc = parse(ARTICLE)
    text = doc.sections[2].text
    assert text.splitlines()[:3] == ["1. First step", "2. Second step", "  - nested point"]
    table = doc.sections[1].text
    assert "Standard | 3.99 EUR" in table
    assert "**" not in doc.sections[0].text
