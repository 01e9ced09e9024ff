"""The score history of one lead as an SVG line chart, drawn on the server (no script,
nothing fetched)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28


def score_chart(
    moments: Sequence[pd.Timestamp], scores: Sequence[int], *, title: str, date_format: str
) -> str:
    """The scores over time (0 to 100 up the side, the first and last day along the
    bottom), one dot a score; an empty frame without scores."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for level in (0, 25, 50, 75, 100):
        y = TOP + inner_h * (1 - level / 100)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{level}</text>'
        )
    if moments:
        times = [pd.Timestamp(m).value for m in moments]
        first, last = min(times), max(times)
        span = max(last - first, 1)
        points = [
            (
                LEFT + inner_w * ((t - first) / span if last > first else 0.5),
                TOP + inner_h * (1 - min(max(s, 0), 100) / 100),
            )
            for t, s in zip(times, scores, strict=True)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" class="line"/>')
        for (x, y), moment, value in zip(points, moments, scores, strict=True):
            label = f"{pd.Timestamp(moment).strftime(date_format)}: {value}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot">'
                f"<title>{escape(label)}</title></circle>"
            )
        for moment, anchor, x in (
            (min(moments), "start", LEFT),
            (max(moments), "end", WIDTH - RIGHT),
        ):
            day = escape(pd.Timestamp(moment).strftime(date_format))
            parts.append(
                f'<text x="{x}" y="{HEIGHT - 8}" text-anchor="{anchor}" class="axis">{day}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
