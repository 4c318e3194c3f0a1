"""The run-wide plots: latency and throughput over time, staleness, and the bank total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...histories import FAIL, INFO, OK
from ._figure import OUTCOME_COLOURS, Window, new_figure, shade_faults, to_svg
from ._ops import OpTable, sample_rows

MAX_POINTS = 100_000  # latency points drawn; the rest are sampled away (the page says so)
MARKERS = {OK: "o", FAIL: "x", INFO: "^"}
OUTCOME_NAMES = {OK: "ok", FAIL: "fail", INFO: "info"}


def latency_plot(table: OpTable, windows: Sequence[Window]) -> tuple[str, str]:
    """Each op a point at its invocation, latency on a log scale, colour by f, marker by outcome.

    Returns the SVG and a note on what was sampled away ('' when nothing was)."""
    rows = sample_rows(table, MAX_POINTS)
    fig, ax = new_figure()
    ax.set_yscale("log")
    lat = np.maximum(table.latency_ms[rows], 1e-3)  # log scale: a 0 ns op sits at 1 µs
    start, f, outcome = table.start[rows], table.f[rows], table.outcome[rows]
    if len(lat):  # set before drawing: at least a decade, even if every op took the same time
        ax.set_ylim(lat.min() / 2, max(lat.max() * 2, lat.min() * 10))
    for code, name in enumerate(table.f_names):
        for oc, marker in MARKERS.items():
            sel = (f == code) & (outcome == oc)
            if sel.any():
                ax.scatter(start[sel], lat[sel], s=4 if oc == OK else 12, marker=marker,
                           color=f"C{code % 10}", alpha=0.6, linewidths=0.8,
                           label=f"{name} {OUTCOME_NAMES[oc]}", rasterized=True)
    shade_faults(ax, windows)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("latency: each op at its invocation")
    _legend(ax)
    note = "" if len(rows) == len(table) else (
        f"showing {len(rows):,} of {len(table):,} ops: every fail/info op, a uniform sample of"
        " the ok ones")
    return to_svg(fig, "latency"), note


def throughput_plot(table: OpTable, windows: Sequence[Window]) -> str:
    """Completions per second over time, one line per f and outcome."""
    fig, ax = new_figure()
    if len(table):
        span = max(float(table.end.max()), 1e-3)
        bins = int(min(200, max(10, span / 0.1)))
        edges = np.linspace(0.0, span, bins + 1)
        width = edges[1] - edges[0]
        for code, name in enumerate(table.f_names):
            for oc, oname in OUTCOME_NAMES.items():
                sel = (table.f == code) & (table.outcome == oc)
                if sel.any():
                    counts, _ = np.histogram(table.end[sel], bins=edges)
                    ax.step(edges[:-1], counts / width, where="post", color=f"C{code % 10}",
                            ls={OK: "-", FAIL: ":", INFO: "--"}[oc], lw=1.2,
                            label=f"{name} {oname}")
    shade_faults(ax, windows)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("completions / s")
    ax.set_title("throughput")
    ax.set_ylim(bottom=0)
    _legend(ax)
    return to_svg(fig, "throughput")


def staleness_cdf_plot(quantiles: Mapping[str, Sequence[float]]) -> str:
    """The distribution of stale reads' time staleness per read mode, from its 101 quantiles."""
    fig, ax = new_figure(6.0, 3.2)
    for i, (mode, qs) in enumerate(quantiles.items()):
        if qs:
            ax.step(np.maximum(np.asarray(qs, dtype=np.float64), 1e-3),
                    np.linspace(0.0, 1.0, len(qs)), where="post", color=f"C{i % 10}",
                    label=mode)
    ax.set_xscale("log")
    ax.set_xlabel("time staleness of a stale read (ms)")
    ax.set_ylabel("fraction of stale reads")
    ax.set_title("staleness distribution (CDF)")
    _legend(ax)
    return to_svg(fig, "staleness-cdf")


def t_visibility_plot(curves: Mapping[str, Sequence[Mapping[str, Any]]],
                      sla_ms: float | None) -> str:
    """P(a read begun t ms after a write completed sees it), per mode; the SLA as a line."""
    fig, ax = new_figure(6.0, 3.2)
    for i, (mode, points) in enumerate(curves.items()):
        # a point where no read began that late has no chance to show (p is null)
        pts = [(max(float(p["t_ms"]), 0.1), float(p["p"])) for p in points
               if p.get("p") is not None]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, marker=".", color=f"C{i % 10}", label=mode)
    if sla_ms is not None:
        ax.axvline(sla_ms, color="#e03131", ls="--", label=f"SLA {sla_ms:g} ms")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("t since the write completed (ms; 0 drawn at 0.1)")
    ax.set_ylabel("P(read sees it)")
    ax.set_title("t-visibility")
    _legend(ax)
    return to_svg(fig, "t-visibility")


def bank_plot(totals: Sequence[Sequence[float]], expected: float | None,
              windows: Sequence[Window]) -> str:
    """The total every read saw over time, against the known total."""
    fig, ax = new_figure()
    pts = np.asarray(totals, dtype=np.float64).reshape(-1, 2)
    if len(pts):
        right = pts[:, 1] == expected if expected is not None else np.ones(len(pts), bool)
        ax.scatter(pts[right, 0], pts[right, 1], s=6, color=OUTCOME_COLOURS["ok"],
                   label="read: right total", rasterized=True)
        ax.scatter(pts[~right, 0], pts[~right, 1], s=8, color=OUTCOME_COLOURS["fail"],
                   label="read: wrong total", rasterized=True)
    if expected is not None:
        ax.axhline(expected, color="#495057", lw=1, ls="--", label=f"total {expected:g}")
    shade_faults(ax, windows)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("sum of balances")
    ax.set_title("bank total over time")
    _legend(ax)
    return to_svg(fig, "bank")


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
