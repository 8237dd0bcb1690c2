"""Tiny server-rendered SVG charts: readable without JavaScript, built from numbers only."""

from __future__ import annotations

from markupsafe import Markup, escape


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


def bars(days: list[tuple[str, int, int]], width: int = 640, height: int = 140) -> Markup:
    """Searches per day as bars, the unanswered part darker; labelled for screen readers
    and with a <title> per bar, so the numbers are there without JavaScript."""
    if not days:
        return Markup("")
    top = max(n for _, n, _ in days) or 1
    gap = 2
    step = width / len(days)
    bar_w = max(step - gap, 1)
    plot = height - 18
    parts = []
    for i, (label, n, unanswered) in enumerate(days):
        x = i * step
        h = plot * n / top
        hu = plot * unanswered / top
        title = escape(f"{label}: {n} searches, {unanswered} unanswered")
        parts.append(
            f"<g><title>{title}</title>"
            f'<rect x="{x:.1f}" y="{plot - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="#8fb8e3"/>'
            f'<rect x="{x:.1f}" y="{plot - hu:.1f}" width="{bar_w:.1f}" height="{hu:.1f}" '
            f'fill="#b3261e"/></g>'
        )
    total = sum(n for _, n, _ in days)
    unanswered_total = sum(u for _, _, u in days)
    label = escape(
        f"{total} searches over {len(days)} days, {unanswered_total} unanswered; busiest day {top}"
    )
    first, last = escape(days[0][0]), escape(days[-1][0])
    return Markup(
        f'<svg class="bars" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}" preserveAspectRatio="none">{"".join(parts)}'
        f'<text x="0" y="{height - 4}" font-size="11">{first}</text>'
        f'<text x="{width}" y="{height - 4}" font-size="11" text-anchor="end">{last}</text>'
        f'<text x="0" y="11" font-size="11">{top}</text></svg>'
    )
