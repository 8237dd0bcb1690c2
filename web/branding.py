"""The help center's identity: name, logo and accent colour, from the branding settings.

The accent colour arrives as one ``#rrggbb``; the header text on it and the shade used for
links on white are worked out here so any brand colour still meets WCAG AA contrast
(4.5:1), instead of trusting every owner to pick an accessible one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.settings import Settings
from web.i18n import message

LOGO_FILES = ("logo.svg", "logo.png", "logo.webp")
DARK_TEXT = "#1d2330"
AA = 4.5


def _channels(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(colour)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def darken(colour: str, factor: float) -> str:
    return "#" + "".join(f"{round(c * factor * 255):02x}" for c in _channels(colour))


def readable_on_white(colour: str) -> str:
    """``colour``, darkened just enough for text on white to reach AA."""
    factor = 1.0
    while contrast(darken(colour, factor), "#ffffff") < AA and factor > 0:
        factor -= 0.05
    return darken(colour, max(factor, 0.0))


@dataclass(frozen=True)
class Brand:
    name: str
    logo: str
    accent: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Brand:
        logo = settings.logo_url
        if not logo and (found := logo_file(settings)) is not None:
            logo = f"/assets/_assets/{found.name}"
        return cls(settings.site_name.strip(), logo, settings.accent_color)

    def title(self, lang: str) -> str:
        """ "Bura Help Center" / "Bura – centar za pomoć"; the generic name without a brand."""
        if self.name:
            return message(lang, "site_title", site=self.name)
        return message(lang, "help_center")

    def css(self) -> str:
        """The accent as custom properties, served as a stylesheet (the CSP allows no
        inline style)."""
        if not self.accent:
            return ""
        on_accent = "#ffffff" if contrast(self.accent, "#ffffff") >= AA else DARK_TEXT
        link = readable_on_white(self.accent)
        return (
            f":root {{ --brand: {self.accent}; --on-brand: {on_accent}; "
            f"--accent: {link}; --accent-dark: {darken(link, 0.75)}; }}\n"
        )


def logo_file(settings: Settings) -> Path | None:
    """A logo writers keep with the articles, used when no ``KB_LOGO_URL`` is set."""
    assets = settings.articles_dir / "_assets"
    return next((assets / n for n in LOGO_FILES if (assets / n).is_file()), None)
