"""UI strings in the languages the help center speaks, chosen by the page's language."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "site_name": "Help Center",
        "tagline": "How can we help you?",
        "search_placeholder": "Ask a question, e.g. “my parcel hasn't arrived”",
        "search_button": "Search",
        "categories": "Browse by topic",
        "popular": "Popular articles",
        "results_for": "Results for",
        "no_answer": "We couldn't find a good answer to that.",
        "no_answer_hint": "Try other words, or contact us — these articles might be related:",
        "no_results": "Nothing matched your search. Try other words.",
        "maybe_related": "Maybe related",
        "updated": "Updated",
        "contents": "On this page",
        "related": "Related articles",
        "category": "Category",
        "articles": "articles",
        "not_found": "Page not found",
        "not_found_text": "We couldn't find that page. Try searching instead:",
        "bad_request": "We couldn't run that search",
        "back_home": "Back to the help center",
        "language": "Language",
        "other_language": "Hrvatski",
        "strong": "Strong match",
        "partial": "Possible match",
        "weak": "Weak match",
        "in_section": "Section",
        "home": "Help Center home",
        "skip": "Skip to content",
        "top": "Top",
    },
    "hr": {
        "site_name": "Centar za pomoć",
        "tagline": "Kako vam možemo pomoći?",
        "search_placeholder": "Postavite pitanje, npr. „paket mi još nije stigao”",
        "search_button": "Traži",
        "categories": "Teme",
        "popular": "Popularni članci",
        "results_for": "Rezultati za",
        "no_answer": "Nismo pronašli dobar odgovor na to pitanje.",
        "no_answer_hint": (
            "Pokušajte drugim riječima ili nas kontaktirajte — možda vam pomognu ovi članci:"
        ),
        "no_results": "Ništa ne odgovara vašem upitu. Pokušajte drugim riječima.",
        "maybe_related": "Možda povezano",
        "updated": "Ažurirano",
        "contents": "Na ovoj stranici",
        "related": "Povezani članci",
        "category": "Kategorija",
        "articles": "članaka",
        "not_found": "Stranica nije pronađena",
        "not_found_text": "Tu stranicu nismo pronašli. Pokušajte je potražiti:",
        "bad_request": "Pretragu nije bilo moguće izvršiti",
        "back_home": "Natrag u centar za pomoć",
        "language": "Jezik",
        "other_language": "English",
        "strong": "Dobro podudaranje",
        "partial": "Moguće podudaranje",
        "weak": "Slabo podudaranje",
        "in_section": "Odjeljak",
        "home": "Početna centra za pomoć",
        "skip": "Preskoči na sadržaj",
        "top": "Vrh",
    },
}
LANGUAGE_NAMES = {"hr": "Hrvatski", "en": "English", "de": "Deutsch", "sl": "Slovenščina"}


def strings(lang: str) -> dict[str, str]:
    return STRINGS.get(lang, STRINGS["en"])


def category_title(category: str, names: dict[str, str]) -> str:
    return names.get(category) or category.replace("-", " ").capitalize()
