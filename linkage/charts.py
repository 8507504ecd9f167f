"""Small inline SVG charts for the self-contained HTML reports.

Each function returns one ``<svg>`` element as text, ready to drop into a page: a
visible title, labelled axes, and ``<title>``/``<desc>`` elements that screen readers
announce (``role="img"``). Nothing is fetched and nothing is scripted, so a chart shows
the same on an offline intranet as where it was written; the same figures give the
same text, byte for byte. Sizes are in SVG user units; the page's stylesheet lets a
chart shrink to the width of a narrow window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "Marker",
    "Series",
    "bar_chart",
    "column_chart",
    "histogram",
    "line_chart",
    "nice_ticks",
]

BLUE = "#3b6ea5"
ORANGE = "#d9822b"
RED = "#b23a48"
GREY = "#6b7280"
_GRID = "#e3e6ea"
_INK = "#222"
_WIDTH = 640
_FONT = 12
_LABEL_WIDTH = 250


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line across a chart at ``x``: a threshold or a target."""

    x: float
    label: str
    colour: str = RED


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: its name, its (x, y) points in order, its colour."""

    name: str
    points: tuple[tuple[float, float], ...]
    colour: str = BLUE


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plot area inside an SVG canvas and the scales that map data onto it."""

    left: float
    top: float
    width: float
    height: float
    x_domain: tuple[float, float]
    y_domain: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_domain
        return self.left + (value - low) / ((high - low) or 1) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_domain
        return (
            self.top + self.height - (value - low) / ((high - low) or 1) * self.height
        )

    @property
    def bottom(self) -> float:
        return self.top + self.height


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks (1, 2 or 5 times a power of ten) from at or below ``low`` to at
    or above ``high``, about ``count`` steps apart."""
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def bar_chart(
    ident: str,
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    value_label: str,
    describe: str = "",
    value_format: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> str:
    """Horizontal bars, one per (label, value), with the value written beside each.

    Short labels sit to the left of their bars; when a label is too long for that,
    every label goes on a line of its own above its bar.

    Args:
        ident: A page-unique id for the chart (used by ``aria-labelledby``).
        title: Shown above the chart and announced as its title.
        bars: (label, value) in the order to draw, top first; values >= 0.
        value_label: What the values are, e.g. "records"; the axis title.
        describe: A sentence for screen readers; a summary of the bars if empty.
        value_format: Turns a value into the text written beside its bar.
    """
    widest = max((_text_width(label) for label, _ in bars), default=0)
    stacked = widest > _LABEL_WIDTH
    left = 16.0 if stacked else widest + 12
    row = 38 if stacked else 22
    frame = _Frame(
        left=left,
        top=34,
        width=_WIDTH - left - 70,
        height=row * len(bars),
        x_domain=(0, max((value for _, value in bars), default=0) or 1),
        y_domain=(0, 1),
    )
    parts = [_title(title), _x_axis_title(frame, value_label, frame.bottom + 22)]
    for index, (label, value) in enumerate(bars):
        top = frame.top + index * row + (16 if stacked else 0)
        parts.append(_bar(frame, top, label, value_format(value), value, stacked))
    if not stacked:
        parts.append(_line(left, frame.top, left, frame.bottom, _INK))
    summary = describe or _summary(bars, value_format)
    return _svg(ident, title, summary, frame.bottom + 32, parts)


def _bar(
    frame: _Frame, top: float, label: str, shown: str, value: float, stacked: bool
) -> str:
    """One bar of a bar chart, its label (beside it, or above it when stacked)
    and its value; the full label is the tooltip when the shown one is cut."""
    left = frame.left
    if stacked:
        label_at = f'x="{left:.1f}" y="{top - 3:.1f}"'
        label_text = _clip(label, _WIDTH - left - 8)
    else:
        label_at = f'x="{left - 8:.1f}" y="{top + 15:.1f}" text-anchor="end"'
        label_text = label
    length = frame.x(value) - left
    return (
        f"<g><title>{escape(label)}: {escape(shown)}</title>"
        f"<text {label_at}>{escape(label_text)}</text>"
        f'<rect x="{left:.1f}" y="{top + 3:.1f}" width="{length:.1f}" '
        f'height="16" fill="{BLUE}"/>'
        f'<text x="{left + length + 5:.1f}" y="{top + 15:.1f}">{escape(shown)}</text>'
        "</g>"
    )


def column_chart(
    ident: str,
    title: str,
    columns: Sequence[tuple[str, float]],
    *,
    x_label: str,
    y_label: str,
    describe: str = "",
) -> str:
    """Vertical bars over categories (such as cluster sizes), with a y axis."""
    largest = max((value for _, value in columns), default=0)
    frame = _plot_frame((0, len(columns)), (0, nice_ticks(0, largest or 1)[-1]))
    parts = [_title(title), *_y_axis(frame, y_label)]
    slot = frame.width / max(len(columns), 1)
    for index, (label, value) in enumerate(columns):
        x = frame.left + index * slot
        top = frame.y(value)
        parts.append(
            f"<g><title>{escape(label)}: {value:,.0f}</title>"
            f'<rect x="{x + slot * 0.15:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{frame.bottom - top:.1f}" fill="{BLUE}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle" '
            f'font-size="{_FONT - 1}">{value:,.0f}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{frame.bottom + 16:.1f}" '
            f'text-anchor="middle">{escape(label)}</text></g>'
        )
    parts.append(_x_axis_title(frame, x_label, frame.bottom + 36))
    summary = describe or _summary(columns, lambda v: f"{v:,.0f}")
    return _svg(ident, title, summary, frame.bottom + 46, parts)


def histogram(
    ident: str,
    title: str,
    bins: Sequence[tuple[float, float, int]],
    *,
    x_label: str,
    y_label: str,
    markers: Sequence[Marker] = (),
    describe: str = "",
) -> str:
    """Vertical bars over numeric bins (low, high, count), with marker lines.

    The x axis spans the bins and every marker, so a threshold outside the data
    still shows where it lies.
    """
    xs = [b[0] for b in bins] + [b[1] for b in bins] + [m.x for m in markers]
    x_ticks = nice_ticks(min(xs), max(xs), 8)
    low, high = min(xs + x_ticks), max(xs + x_ticks)
    largest = max((b[2] for b in bins), default=0)
    frame = _plot_frame((low, high), (0, nice_ticks(0, largest or 1)[-1]))
    parts = [_title(title), *_y_axis(frame, y_label), *_x_ticks(frame, x_ticks)]
    for left, right, count in bins:
        x0, x1, top = frame.x(left), frame.x(right), frame.y(count)
        parts.append(
            f"<g><title>{left:g} – {right:g}: {count:,}</title>"
            f'<rect x="{x0 + 0.5:.1f}" y="{top:.1f}" width="{max(x1 - x0 - 1, 1):.1f}" '
            f'height="{frame.bottom - top:.1f}" fill="{BLUE}"/></g>'
        )
    parts.extend(_markers(frame, markers))
    parts.append(_x_axis_title(frame, x_label, frame.bottom + 36))
    summary = describe or f"{sum(b[2] for b in bins):,} in {len(bins)} bins"
    return _svg(ident, title, summary, frame.bottom + 46 + _key_room(markers), parts)


def line_chart(
    ident: str,
    title: str,
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] | None = None,
    markers: Sequence[Marker] = (),
    describe: str = "",
    tick_format: Callable[[float], str] = lambda v: f"{v:g}",
) -> str:
    """Lines through (x, y) points, with a legend when there is more than one."""
    points = [p for s in series for p in s.points]
    x_domain = x_domain or _padded([p[0] for p in points] + [m.x for m in markers])
    y_domain = y_domain or _padded([p[1] for p in points])
    # Headroom above the top, so a line along the maximum stays clear of the title.
    y_domain = (y_domain[0], y_domain[1] + (y_domain[1] - y_domain[0]) * 0.04)
    frame = _plot_frame(x_domain, y_domain)
    x_ticks = [t for t in nice_ticks(*x_domain, 6) if x_domain[0] <= t <= x_domain[1]]
    parts = [
        _title(title),
        *_y_axis(frame, y_label, tick_format),
        *_x_ticks(frame, x_ticks, tick_format),
    ]
    for line in series:
        path = " ".join(f"{frame.x(x):.1f},{frame.y(y):.1f}" for x, y in line.points)
        parts.append(
            f"<g><title>{escape(line.name)}</title>"
            f'<polyline points="{path}" fill="none" stroke="{line.colour}" '
            'stroke-width="2"/></g>'
        )
    parts.extend(_markers(frame, markers))
    parts.append(_x_axis_title(frame, x_label, frame.bottom + 36))
    if len(series) > 1:
        parts.append(_legend(frame, series))
    summary = describe or ", ".join(s.name for s in series)
    return _svg(ident, title, summary, frame.bottom + 46 + _key_room(markers), parts)


def _plot_frame(x_domain: tuple[float, float], y_domain: tuple[float, float]) -> _Frame:
    return _Frame(
        left=64,
        top=40,
        width=_WIDTH - 64 - 24,
        height=230,
        x_domain=x_domain,
        y_domain=y_domain,
    )


def _padded(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 0.05
    return low - pad, high + pad


def _y_axis(
    frame: _Frame, label: str, tick_format: Callable[[float], str] | None = None
) -> list[str]:
    """Grid lines and tick labels up the left side, and the rotated axis title."""
    low, high = frame.y_domain
    ticks = [t for t in nice_ticks(low, high) if low <= t <= high]
    show = tick_format or (lambda v: f"{v:,.0f}" if v == int(v) else f"{v:,g}")
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        parts.append(_line(frame.left, y, frame.left + frame.width, y, _GRID))
        parts.append(
            f'<text x="{frame.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(show(tick))}</text>"
        )
    parts.append(_line(frame.left, frame.top, frame.left, frame.bottom, _INK))
    middle = frame.top + frame.height / 2
    parts.append(
        f'<text x="14" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(label)}</text>'
    )
    return parts


def _x_ticks(
    frame: _Frame,
    ticks: Sequence[float],
    tick_format: Callable[[float], str] = lambda v: f"{v:g}",
) -> list[str]:
    parts = [
        _line(frame.left, frame.bottom, frame.left + frame.width, frame.bottom, _INK)
    ]
    for tick in ticks:
        x = frame.x(tick)
        parts.append(_line(x, frame.bottom, x, frame.bottom + 4, _INK))
        parts.append(
            f'<text x="{x:.1f}" y="{frame.bottom + 17:.1f}" text-anchor="middle">'
            f"{escape(tick_format(tick))}</text>"
        )
    return parts


def _markers(frame: _Frame, markers: Sequence[Marker]) -> list[str]:
    """Dashed vertical lines across the plot, and a key to them below the x axis.

    The key, not a label beside each line, names them: lines that lie close
    together, or over the data, would have their labels collide or hide bars.
    """
    parts = []
    x = frame.left
    for marker in markers:
        at = frame.x(marker.x)
        dashes = f'stroke="{marker.colour}" stroke-width="1.5" stroke-dasharray="5 3"'
        key_y = frame.bottom + 56
        parts.append(
            f"<g><title>{escape(marker.label)}</title>"
            f'<line x1="{at:.1f}" y1="{frame.top:.1f}" x2="{at:.1f}" '
            f'y2="{frame.bottom:.1f}" {dashes}/>'
            f'<line x1="{x:.1f}" y1="{key_y - 4:.1f}" x2="{x + 22:.1f}" '
            f'y2="{key_y - 4:.1f}" {dashes}/>'
            f'<text x="{x + 27:.1f}" y="{key_y:.1f}" fill="{marker.colour}">'
            f"{escape(marker.label)}</text></g>"
        )
        x += _text_width(marker.label) + 48
    return parts


def _key_room(markers: Sequence[Marker]) -> int:
    return 22 if markers else 0


def _legend(frame: _Frame, series: Sequence[Series]) -> str:
    items = []
    x = frame.left + frame.width
    for line in reversed(series):
        width = _text_width(line.name) + 30
        x -= width
        items.append(
            f'<rect x="{x:.1f}" y="22" width="14" height="4" fill="{line.colour}"/>'
            f'<text x="{x + 18:.1f}" y="28">{escape(line.name)}</text>'
        )
    return "<g>" + "".join(items) + "</g>"


def _title(title: str) -> str:
    return (
        f'<text x="{_WIDTH / 2:.0f}" y="18" text-anchor="middle" '
        f'font-size="{_FONT + 2}" font-weight="bold">{escape(title)}</text>'
    )


def _x_axis_title(frame: _Frame, label: str, y: float) -> str:
    x = frame.left + frame.width / 2
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{GREY}">'
        f"{escape(label)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="1"/>'
    )


def _svg(ident: str, title: str, summary: str, height: float, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(ident)}" '
        f'viewBox="0 0 {_WIDTH} {height:.0f}" width="{_WIDTH}" height="{height:.0f}" '
        f'role="img" aria-labelledby="{escape(ident)}-t {escape(ident)}-d" '
        f'font-size="{_FONT}" fill="{_INK}">'
        f'<title id="{escape(ident)}-t">{escape(title)}</title>'
        f'<desc id="{escape(ident)}-d">{escape(summary)}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def _summary(
    items: Sequence[tuple[str, float]], value_format: Callable[[float], str]
) -> str:
    return "; ".join(f"{label}: {value_format(value)}" for label, value in items)


def _text_width(text: str) -> float:
    """Rough rendered width: a Han character is a full em, Latin about 0.6 em."""
    return sum(_FONT if ord(ch) > 0x2E7F else _FONT * 0.6 for ch in text)


def _clip(text: str, width: float) -> str:
    """The text cut to fit ``width``, with an ellipsis when cut."""
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
