"""Horizontal stacked bar charts as numbers for the SVG template (reports/_chart.html).

Why Jinja rather than pygal: pygal's SVG carries <script>, <style> and style="…", which the
strict CSP blocks when inlined. Here Python only lays out the bars (positions in viewBox
units); the template draws them with CSS classes from reports.css, so the chart needs no
script, scales with the page (viewBox) and shows from the offline cache like any page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")
WIDTH = 320  # viewBox units; the SVG scales to the column (360 px phones upwards)
LABEL_HEIGHT = 18  # the label line above each bar
BAR_HEIGHT = 14
ROW_HEIGHT = 42
MAX_BARS = 15  # the rest is summed into one line under the chart
COLOURS = 8  # seg-0 … seg-7 in reports.css
MAX_LABEL = 34  # characters; the table beside the chart has the whole name


@dataclass
class Segment:
    x: float
    width: float
    css: str
    activity: str
    hours: Decimal


@dataclass
class Bar:
    label: str
    full_label: str
    total: Decimal
    y: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def bar_y(self) -> float:
        return self.y + LABEL_HEIGHT + 1


@dataclass
class Chart:
    id: str
    title: str
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (css class, activity)
    data: list[tuple[str, str, Decimal]]  # (bar, activity, hours): the table beside the chart
    rest_count: int = 0
    rest_hours: Decimal = ZERO
    width: int = WIDTH

    @property
    def height(self) -> int:
        return max(len(self.bars) * ROW_HEIGHT, ROW_HEIGHT)

    @property
    def total(self) -> Decimal:
        return sum((h for _b, _a, h in self.data), ZERO)


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def stacked(chart_id: str, title: str, rows: list[tuple]) -> Chart:
    """Bars per key, stacked by activity, longest first.

    `rows`: (key, label, activity id, activity label, hours) as tipro.reports.queries.stacked
    reads them. Activities keep one colour across the bars, the busiest first.
    """
    per_activity: dict[int, Decimal] = {}
    names: dict[int, str] = {}
    bars: dict[object, tuple[str, dict[int, Decimal]]] = {}
    for key, label, activity_id, activity, hours in rows:
        if not hours:
            continue
        per_activity[activity_id] = per_activity.get(activity_id, ZERO) + hours
        names[activity_id] = activity
        parts = bars.setdefault(key, (label, {}))[1]
        parts[activity_id] = parts.get(activity_id, ZERO) + hours
    order = sorted(per_activity, key=lambda a: (-per_activity[a], names[a]))
    css = {activity_id: f"seg-{i % COLOURS}" for i, activity_id in enumerate(order)}
    ranked = sorted(bars.values(), key=lambda b: (-sum(b[1].values()), b[0]))
    shown, rest = ranked[:MAX_BARS], ranked[MAX_BARS:]
    longest = max((sum(parts.values()) for _label, parts in shown), default=ZERO)
    chart_bars, data = [], []
    for index, (label, parts) in enumerate(shown):
        total = sum(parts.values(), ZERO)
        bar = Bar(_short(label), label, total, index * ROW_HEIGHT)
        x = 0.0
        for activity_id in order:
            hours = parts.get(activity_id)
            if not hours:
                continue
            width = float(hours / longest) * WIDTH if longest else 0.0
            bar.segments.append(
                Segment(round(x, 2), round(width, 2), css[activity_id], names[activity_id], hours)
            )
            data.append((label, names[activity_id], hours))
            x += width
        chart_bars.append(bar)
    return Chart(
        chart_id,
        title,
        chart_bars,
        [(css[a], names[a]) for a in order],
        data,
        rest_count=len(rest),
        rest_hours=sum((sum(parts.values(), ZERO) for _label, parts in rest), ZERO),
    )
