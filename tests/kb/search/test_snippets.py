"""Snippet highlighting escapes first and marks second, whatever the text and the query."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.lexical import Analyzer
from kb.search.snippets import SNIPPET_CHARS, make_snippet

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<mark>",
        "</mark>",
        "&lt;",
        "&amp;",
        '"><img src=x onerror=alert(1)>',
        "{{ 7*7 }}",
        "'",
        "<",
        ">",
        "&",
        "povrat",
        "novca",
        "dostava",
        "refund",
        "delivery",
    ]
)
TEXT = st.lists(HOSTILE | st.text(max_size=12), max_size=60).map(" ".join)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.marked: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        assert not attrs
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)
        self._in_mark = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_mark:
            self.marked.append(data)


@given(text=TEXT, query=TEXT, lang=st.sampled_from(["en", "hr"]))
@settings(max_examples=300, deadline=None)
def test_highlighting_marks_query_words_and_nothing_else_is_markup(
    text: str, query: str, lang: str
) -> None:
    analyzer = Analyzer(lang)
    terms = set(analyzer.terms(query))
    plain, marked = make_snippet(text, terms, analyzer)
    parser = Tags()
    parser.feed(marked)
    parser.close()
    assert set(parser.tags) <= {"mark", "/mark"}, marked
    assert parser.tags.count("mark") == parser.tags.count("/mark")
    assert "".join(parser.text) == plain, "the HTML says exactly what the plain snippet says"
    assert html.unescape(marked.replace("<mark>", "").replace("</mark>", "")) == plain
    for word in parser.marked:
        assert set(analyzer.terms(word)) & terms, (word, terms)
    assert len(plain) <= SNIPPET_CHARS + 2  # the window plus two ellipses
