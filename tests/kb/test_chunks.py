"""Chunking: a summary chunk plus one per section, all inside the model's window."""

from pathlib import Path

from kb.articles import load_article
from kb.chunks import chunk_article
from kb.embeddings import SentenceTransformerEmbedder


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
    chunks = chunk_article(article, embedder.max_tokens - 16, embedder.count_tokens)
    sections = [c for c in chunks if c.kind == "section"]
    assert len(sections) > 3
    assert all(c.section_id == "dugi-odjeljak" for c in sections)
    for chunk in chunks:
        assert embedder.count_tokens(chunk.embed_text(article.title)) <= embedder.max_tokens
