"""Chunking: a summary chunk plus one per section, all inside the model's window."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.content.articles import load_article
from kb.content.chunks import MAX_CHUNK_TOKENS, approx_tokens, chunk_article, token_budget
from kb.models.embeddings import SentenceTransformerEmbedder


def make(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "en" / "help" / "returns.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: Returns\ndescription: Send things back.\n---\n" + body)
    return path


def test_summary_then_one_chunk_per_section(tmp_path: Path) -> None:
    path = make(
        tmp_path,
        "You have 30 days.\n\n## How to return\n\nUse the label.\n\n"
        "### By post\n\nDrop it at GLS.\n\n## Refund times\n\n14 days.\n",
    )
    chunks = chunk_article(load_article(path, tmp_path))
    assert [(c.kind, c.section_id) for c in chunks] == [
        ("summary", None),
        ("section", "how-to-return"),
        ("section", "by-post"),
        ("section", "refund-times"),
    ]
    assert chunks[0].text == "Send things back.\nYou have 30 days."
    assert chunks[2].context == "How to return › By post"
    assert chunks[2].embed_text("Returns").startswith("Returns › How to return › By post\n")


def test_long_sections_split_under_the_token_window(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    paragraph = "Povrat novca na karticu traje od tri do pet radnih dana nakon odobrenja. " * 12
    path = make(tmp_path, "## Dugi odjeljak\n\n" + "\n\n".join([paragraph] * 6))
    article = load_article(path, tmp_path)
    budget = token_budget(embedder.max_tokens)
    chunks = chunk_article(article, budget, embedder.count_tokens)
    sections = [c for c in chunks if c.kind == "section"]
    assert len(sections) > 3
    assert all(c.section_id == "dugi-odjeljak" for c in sections)
    for chunk in chunks:
        # a section's worth, even for a model that could read 512 tokens
        assert embedder.count_tokens(chunk.embed_text(article.title)) <= MAX_CHUNK_TOKENS


# -- property: nothing is lost, nothing is duplicated ------------------------------------
WORDS = st.sampled_from(
    [
        "povrat",
        "novca",
        "dostava",
        "plaćanje",
        "kartica",
        "refund",
        "delivery",
        "label",
        "parcel",
        "đak",
        "čarapa",
        "what",
        "when",
        "why",
        "supercalifragilisticexpialidocious",
        "broj",
        "42",
        "3,99",
        "days",
        "dana",
    ]
) | st.from_regex(r"[a-zčćžšđ]{1,30}", fullmatch=True)
SENTENCE_END = st.sampled_from(["", "", "", ".", "?", "!"])


@st.composite
def content_line(draw: st.DrawFn, marker: int) -> str:
    words = draw(st.lists(st.tuples(WORDS, SENTENCE_END), min_size=0, max_size=60))
    return " ".join([f"L{marker}x", *(w + end for w, end in words)])


@st.composite
def article_source(draw: st.DrawFn) -> tuple[str, list[tuple[str | None, list[str]]]]:
    """Markdown of paragraphs and list items, one content line each, under H2/H3 headings;
    returns the source and, per section (None: the intro), its lines."""
    marker = iter(range(10_000))
    sections: list[tuple[str | None, list[str]]] = []
    if draw(st.booleans()):
        n = draw(st.integers(1, 6))
        sections.append((None, [draw(content_line(next(marker))) for _ in range(n)]))
    for s in range(draw(st.integers(0, 5))):
        n = draw(st.integers(0, 8))
        sections.append((f"Heading {s}", [draw(content_line(next(marker))) for _ in range(n)]))
    parts = []
    for heading, lines in sections:
        if heading:
            parts.append(f"{draw(st.sampled_from(['##', '###']))} {heading}")
        for line in lines:
            parts.append(("- " if draw(st.booleans()) else "") + line)
    return "\n\n".join(parts) + "\n", sections


def _words(text: str) -> list[str]:
    return [w.removeprefix("-") for w in text.split() if w != "-"]


@given(source=article_source(), description=st.sampled_from(["", "Send things back."]))
@settings(max_examples=150, deadline=None)
def test_every_line_of_content_ends_up_in_exactly_one_chunk(
    source: tuple[str, list[tuple[str | None, list[str]]]], description: str
) -> None:
    """Splitting never drops or repeats text: each line that fits the window is in exactly
    one chunk of its section, and a longer one is spread over consecutive chunks. (When
    there is no intro, the summary also quotes the first paragraph: that copy is on purpose.)"""
    from kb.content.articles import Article
    from kb.content.markdown import parse

    body, sections = source
    article = Article(
        path="en/help/a.md",
        lang="en",
        slug="a",
        category="help",
        title="Returns",
        description=description,
        body=body,
        doc=parse(body),
    )
    max_tokens = 60
    chunks = chunk_article(article, max_tokens=max_tokens)
    for heading, lines in sections:
        own = [c for c in chunks if (c.heading == heading if heading else c.kind == "summary")]
        texts = [_words(c.text) for c in own]
        for line in lines:
            marker = line.split()[0]
            holders = [t for t in texts if marker in t]
            assert len(holders) == 1, (line, [c.text for c in own])
            if approx_tokens(line) <= 32:  # fits any section's budget
                joined = " ".join(holders[0])
                assert " ".join(_words(line)) in joined, (line, joined)
        content = [w for t in texts for w in t if heading or w not in _words(description)]
        expected = [w for line in lines for w in _words(line)]
        if heading and not lines:
            expected = _words(heading)  # an empty section is findable by its heading
        assert content == expected
