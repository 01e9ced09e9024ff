from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd

from leadscore.workspace.chart import HEIGHT, TOP, score_chart


def test_the_chart_draws_one_dot_a_score_higher_scores_higher() -> None:
    moments = [pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(days=d) for d in (0, 3, 10)]
    svg = score_chart(moments, [20, 80, 50], title="Score <history>", date_format="%d.%m.%Y")
    root = ET.fromstring(svg)  # well-formed, the title escaped
    circles = root.findall("{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 3
    ys = [float(c.get("cy")) for c in circles]
    xs = [float(c.get("cx")) for c in circles]
    assert ys[1] < ys[2] < ys[0] and xs == sorted(xs)
    assert "01.11.2026" in svg and "11.11.2026" in svg and "&lt;history&gt;" in svg


def test_one_score_sits_in_the_middle_and_none_draws_an_empty_frame() -> None:
    svg = score_chart([pd.Timestamp("2026-11-01", tz="UTC")], [100], title="t", date_format="%d")
    [circle] = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert float(circle[1]) == TOP
    empty = score_chart([], [], title="t", date_format="%d")
    assert "<circle" not in empty and "<polyline" not in empty and str(HEIGHT) in empty
