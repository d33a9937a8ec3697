"""Inline SVG charts for the report page, drawn in Python: no script, no external asset.

Every bar carries `data-*` attributes with the figure it draws and a <title> a browser shows on
hover, so the chart can be read (and tested) without guessing from pixel widths.
"""

from collections.abc import Callable, Sequence
from html import escape

from experiments.lift import Lift
from reports.funnel import STAGES, JourneyFunnel
from reports.kpis import Kpi
from reports.targets import Direction

LABEL_WIDTH = 170
BAR_AREA = 420
VALUE_WIDTH = 130
WIDTH = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
STAGE_COLOURS = {
    "sent": "#4c78a8",
    "delivered": "#72b7b2",
    "opened": "#54a24b",
    "clicked": "#eeca3b",
    "converted": "#f58518",
}
MEETS, MISSES, UNKNOWN = "#2e7d32", "#c62828", "#9e9e9e"


def _svg(height: int, body: list[str], label: str, width: int = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, content: str, anchor: str = "start", weight: str = "") -> str:
    bold = ' font-weight="bold"' if weight else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{bold}>{escape(content)}</text>'


def funnel_chart(journeys: Sequence[JourneyFunnel]) -> str:
    """Per journey, one bar per stage (sent → converted), scaled to that journey's sent."""
    bar, gap, header = 14, 4, 22
    body: list[str] = []
    y = 0
    for journey in journeys:
        body.append(_text(0, y + 15, journey.journey, weight="bold"))
        y += header
        for stage in STAGES:
            value = getattr(journey, stage)
            share = value / journey.sent if journey.sent else 0.0
            width = BAR_AREA * min(share, 1.0)
            body.append(_text(LABEL_WIDTH - 8, y + bar - 3, stage, anchor="end"))
            body.append(
                f'<rect class="bar" data-journey="{escape(journey.journey)}" '
                f'data-stage="{stage}" data-value="{value}" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{width:.1f}" height="{bar}" fill="{STAGE_COLOURS[stage]}">'
                f"<title>{escape(journey.journey)} {stage}: {value}</title></rect>"
            )
            label = f"{value}" if stage == "sent" else f"{value} ({_percent(share)})"
            body.append(_text(LABEL_WIDTH + width + 6, y + bar - 3, label))
            y += bar + gap
        y += gap * 2
    return _svg(max(y, 1), body, "message funnel per journey")


def kpi_chart(kpis: Sequence[Kpi], formats: Callable[[Kpi, float], str]) -> str:
    """Each KPI's value as a bar against its target (solid line) and baseline (dashed)."""
    row, bar = 34, 14
    body: list[str] = []
    shown = [kpi for kpi in kpis if kpi.value is not None]
    for index, kpi in enumerate(shown):
        assert kpi.value is not None
        y = index * row + 4
        scale = max(kpi.value, kpi.target, kpi.baseline) * 1.25 or 1.0

        def x(value: float, scale: float = scale) -> float:
            return LABEL_WIDTH + BAR_AREA * value / scale

        colour = MEETS if kpi.meets_target else MISSES
        body.append(_text(LABEL_WIDTH - 8, y + bar - 2, kpi.key.replace("_", " "), anchor="end"))
        body.append(
            f'<rect class="kpi-bar" data-kpi="{kpi.key}" data-value="{kpi.value:.6g}" '
            f'x="{LABEL_WIDTH}" y="{y}" width="{x(kpi.value) - LABEL_WIDTH:.1f}" height="{bar}" '
            f'fill="{colour}"><title>{escape(kpi.label)}: {formats(kpi, kpi.value)}</title></rect>'
        )
        body.append(
            f'<line class="target" x1="{x(kpi.target):.1f}" x2="{x(kpi.target):.1f}" '
            f'y1="{y - 3}" y2="{y + bar + 3}" stroke="#000" stroke-width="2"/>'
        )
        body.append(
            f'<line class="baseline" x1="{x(kpi.baseline):.1f}" x2="{x(kpi.baseline):.1f}" '
            f'y1="{y - 3}" y2="{y + bar + 3}" stroke="#555" stroke-dasharray="3,2"/>'
        )
        word = "≥" if kpi.direction is Direction.AT_LEAST else "≤"
        note = f"{formats(kpi, kpi.value)} (target {word} {formats(kpi, kpi.target)})"
        body.append(_text(LABEL_WIDTH + BAR_AREA + 6, y + bar - 2, note))
    return _svg(max(len(shown) * row + 4, 1), body, "KPIs against their targets", WIDTH + 90)


def lift_chart(measured: Lift) -> str:
    """The lift's interval on an axis through zero: right of the line, the treatment helped."""
    width, height, pad = 480, 46, 40
    low = min(measured.low, -0.01)
    high = max(measured.high, 0.01)
    span = max(high - low, 1e-9)

    def x(value: float) -> float:
        return pad + (width - 2 * pad) * (value - low) / span

    colour = MEETS if measured.low > 0 else MISSES if measured.high < 0 else UNKNOWN
    body = [
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="4" y2="{height - 16}" stroke="#000"/>',
        _text(x(0), height - 4, "0", anchor="middle"),
        f'<line class="interval" data-low="{measured.low:.6g}" data-high="{measured.high:.6g}" '
        f'x1="{x(measured.low):.1f}" x2="{x(measured.high):.1f}" y1="16" y2="16" '
        f'stroke="{colour}" stroke-width="3"/>',
        f'<circle class="estimate" data-difference="{measured.difference:.6g}" '
        f'cx="{x(measured.difference):.1f}" cy="16" r="5" fill="{colour}"/>',
        _text(x(measured.low), height - 4, _points(measured.low), anchor="middle"),
        _text(x(measured.high), height - 4, _points(measured.high), anchor="middle"),
    ]
    return _svg(height, body, "holdout lift with its interval", width)


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _points(difference: float) -> str:
    return f"{difference * 100:+.1f} pt"
