"""Matplotlib figures to inline SVG, and what every time-axis plot shares (fault shading).

Why matplotlib → static SVG: the page must work offline and stay small. A static SVG needs no
JavaScript at all, prints, and scales; text stays text (``svg.fonttype: none``), so the page is
searchable and the tests can find labels. Dense scatter layers are rasterized inside the SVG, so
a million points cost a fixed-size image instead of a million SVG elements. An interactive
library would have to inline a few hundred KB of JS once per page and ship every point as data,
which breaks the 5 MB bound for large histories unless the data is downsampled anyway.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on CI machines; selected before anything draws

from matplotlib.axes import Axes
from matplotlib.figure import Figure

OUTCOME_COLOURS = {"ok": "#2f9e44", "fail": "#e03131", "info": "#f59f00"}
FAULT_COLOURS = ("#868e96", "#7048e8", "#1c7ed6", "#d6336c", "#0ca678", "#f76707", "#5c940d")


@dataclass(frozen=True)
class Window:
    """A fault window in seconds since the run started."""

    fault: str
    start: float
    end: float


def new_figure(width: float = 9.0, height: float = 3.2, left: float = 0.8,
               right: float = 1.6) -> tuple[Figure, Axes]:
    """A figure with fixed margins in inches (``right`` holds the legend). Fixed rather than
    constrained layout: measuring every label to fit the margins was most of a figure's cost."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=0.55 / height,
                        top=1 - 0.35 / height)
    return fig, fig.subplots()


def to_svg(fig: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element; ``salt`` keeps element ids unique across one page."""
    buf = io.StringIO()
    params: Any = {"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}
    with matplotlib.rc_context(params):
        fig.savefig(buf, format="svg", dpi=90, metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def shade_faults(ax: Axes, windows: Sequence[Window], lo: float | None = None,
                 hi: float | None = None) -> None:
    """Shade each fault window (clipped to [lo, hi] when given), one legend entry per fault."""
    colours: dict[str, str] = {}
    for w in windows:
        start = w.start if lo is None else max(w.start, lo)
        end = w.end if hi is None else min(w.end, hi)
        if end <= start:
            continue
        new = w.fault not in colours
        colour = colours.setdefault(w.fault, FAULT_COLOURS[len(colours) % len(FAULT_COLOURS)])
        ax.axvspan(start, end, color=colour, alpha=0.15, lw=0,
                   label=f"fault: {w.fault}" if new else None)
