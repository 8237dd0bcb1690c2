"""Tiny server-rendered SVG charts: readable without JavaScript, built from numbers only."""

from __future__ import annotations

from markupsafe import Markup


def sparkline(values: list[int], width: int = 120, height: int = 24) -> Markup:
    if not values:
        return Markup("")
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    label = f"{sum(values)} in {len(values)} days"
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{label}"><polyline fill="none" stroke="#0b5cab" '
        f'stroke-width="1.5" points="{points}"/></svg>'
    )
