"""Structured data for search engines (schema.org JSON-LD): the help center as a WebSite
with its search, and each article as an FAQPage or a TechArticle, published by the brand.

An article counts as an FAQ when at least two of its sections are headed by a question
(ending in "?"); each such section becomes a Question with its text as the accepted
answer. The JSON goes in a ``<script type="application/ld+json">``, which browsers never
execute (the CSP needs no exception); ``<`` is escaped so no text can close the element.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from kb.search.index import ArticleEntry, SearchIndex
from web.branding import Brand
from web.urls import absolute, home_url

MIN_QUESTIONS = 2


def publisher(brand: Brand, lang: str, base_url: str) -> dict[str, Any]:
    org: dict[str, Any] = {
        "@type": "Organization",
        "name": brand.name or brand.title(lang),
        "url": f"{base_url}/",
    }
    if brand.logo:
        org["logo"] = absolute(base_url, brand.logo)
    return org


def website_jsonld(brand: Brand, lang: str, base_url: str) -> Markup:
    """The home page: search engines may offer the help center's search box directly."""
    return _script(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": brand.title(lang),
            "inLanguage": lang,
            "url": base_url + home_url(lang),
            "publisher": publisher(brand, lang, base_url),
            "potentialAction": {
                "@type": "SearchAction",
                "target": f"{base_url}/search?hl={lang}&q={{search_term_string}}",
                "query-input": "required name=search_term_string",
            },
        }
    )


def article_jsonld(
    article: ArticleEntry, index: SearchIndex, brand: Brand, base_url: str
) -> Markup:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "name": article.title,
        "inLanguage": article.lang,
        "url": f"{base_url}{article.url}",
        "publisher": publisher(brand, article.lang, base_url),
    }
    if article.updated:
        data["dateModified"] = article.updated
    questions = _questions(article, index, base_url)
    if len(questions) >= MIN_QUESTIONS:
        data |= {"@type": "FAQPage", "mainEntity": questions}
    else:
        data |= {"@type": "TechArticle", "headline": article.title}
        if article.description:
            data["description"] = article.description
    return _script(data)


def _questions(article: ArticleEntry, index: SearchIndex, base_url: str) -> list[dict[str, Any]]:
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
    return questions


def _script(data: dict[str, Any]) -> Markup:
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')
