"""Structured data for search engines: schema.org FAQPage for question-and-answer articles.

An article counts as an FAQ when at least two of its sections are headed by a question
(ending in "?"); each such section becomes a Question with its text as the accepted
answer. The JSON goes in a ``<script type="application/ld+json">``, which browsers never
execute (the CSP needs no exception); ``<`` is escaped so no text can close the element.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from kb.index import ArticleEntry, SearchIndex

MIN_QUESTIONS = 2


def faq_jsonld(article: ArticleEntry, index: SearchIndex, base_url: str) -> Markup | None:
    questions = []
    for _level, heading, section_id in article.toc:
        if not heading.rstrip().endswith("?"):
            continue
        answer = index.section_text(article.lang, article.slug, section_id).strip()
        if answer:
            questions.append(
                {
                    "@type": "Question",
                    "name": heading.strip(),
                    "acceptedAnswer": {
                        "@type": "Answer",
                        "text": answer,
                        "url": f"{base_url}{article.url}#{section_id}",
                    },
                }
            )
    if len(questions) < MIN_QUESTIONS:
        return None
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "name": article.title,
        "inLanguage": article.lang,
        "url": f"{base_url}{article.url}",
        "mainEntity": questions,
    }
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')
