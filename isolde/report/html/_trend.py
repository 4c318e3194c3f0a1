"""A soak's trend page: one self-contained HTML file over its segments (throughput, latency
p99, staleness p99 and the verdict, segment by segment), linking each segment's own report."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ._figure import new_figure, to_svg
from ._page import _figure, _section, _verdict_word
from ._plots import _legend
from ._style import CSS

TREND_FILE = "trend.html"
VERDICT_COLOURS = {"VALID": "#2f9e44", "INVALID": "#e03131", "UNKNOWN": "#f59f00"}


def render_trend(soak: Mapping[str, Any], report_file: str) -> str:
    """The trend page of ``soak`` (soak.json's content); a checked segment's row links to
    ``segments/NNNN/<report_file>``."""
    checked = [e for e in soak.get("segments", []) if "valid" in e]
    word, code = _verdict_word(soak.get("valid"))
    head = (f'<section id="verdict-section"><p id="verdict" class="verdict {word.lower()}">'
            f'{word} <span class="exit">exit code {code}</span></p>'
            f"<p>{len(checked)} of {soak.get('segments_planned', '?')} segments checked, "
            f"{escape(str(soak.get('status', '')))}; a segment lasts "
            f"{soak.get('segment_s', 0):g} s</p></section>")
    parts = [head, _segments_table(checked, report_file)]
    if checked:
        parts.append(_section("trends", "Trends", "".join(_plots(checked))))
    title = f"isolde soak: {soak.get('scenario', {}).get('store_dir', '')}".rstrip(": ")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>{''.join(parts)}</body></html>\n")


def write_trend(run_dir: Path, soak: Mapping[str, Any], report_file: str) -> Path:
    """Write ``run_dir/trend.html`` atomically (a reader never sees half a page)."""
    out = run_dir / TREND_FILE
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(render_trend(soak, report_file))
    os.replace(tmp, out)
    return out


def _segments_table(checked: Sequence[Mapping[str, Any]], report_file: str) -> str:
    fs = sorted({f for e in checked for f in e.get("latency_ms") or {}})
    header = ["segment", "verdict", "ops", "ops/s", *(f"{f} p99 ms" for f in fs),
              "staleness p99 ms", "anomalies"]
    rows = []
    for e in checked:
        lat = e.get("latency_ms") or {}
        word = _verdict_word(e["valid"])[0]
        cells = [word, e.get("ops", 0), _num(e.get("ops_per_s")),
                 *(_num(lat.get(f, {}).get("p99")) for f in fs),
                 _num((e.get("staleness_ms") or {}).get("p99")),
                 ", ".join(f"{t} {n}" for t, n in (e.get("anomaly_counts") or {}).items())]
        link = f'{escape(str(e["dir"]))}/{escape(report_file)}'  # relative: works offline
        rows.append(f'<tr class="{word.lower()}"><td><a href="{link}">{e["index"]}</a></td>'
                    + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return _section("segments", "Segments", f'<table class="segments"><thead><tr>{head}</tr>'
                    f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _num(v: Any) -> str:
    return "" if v is None else f"{v:,.1f}"


def _plots(checked: Sequence[Mapping[str, Any]]) -> list[str]:
    x = [e["index"] for e in checked]
    words = [_verdict_word(e["valid"])[0] for e in checked]
    lat = {f: [(e.get("latency_ms") or {}).get(f, {}).get("p99") for e in checked]
           for f in sorted({f for e in checked for f in e.get("latency_ms") or {}})}
    series = [("throughput", "ops/s", {"ops/s": [e.get("ops_per_s") for e in checked]}),
              ("latency", "latency p99 (ms)", lat)]
    stale = [(e.get("staleness_ms") or {}).get("p99") for e in checked]
    if any(v is not None for v in stale):
        series.append(("staleness", "staleness p99 (ms)", {"staleness p99": stale}))
    return [_figure(f"trend-{ident}", _line_plot(ident, label, lines, x, words),
                    f"{label} per segment; each point coloured by the segment's verdict")
            for ident, label, lines in series]


def _line_plot(ident: str, label: str, lines: Mapping[str, Sequence[float | None]],
               x: Sequence[int], words: Sequence[str]) -> str:
    fig, ax = new_figure(9.0, 2.8)
    for i, (name, ys) in enumerate(lines.items()):
        pts = [(xi, y, w) for xi, y, w in zip(x, ys, words, strict=True) if y is not None]
        if not pts:
            continue
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=f"C{i % 10}", label=name,
                linewidth=1)
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, zorder=3,
                   color=[VERDICT_COLOURS[p[2]] for p in pts])
    ax.set_xlabel("segment")
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)
    ax.set_title(f"{label} per segment")
    _legend(ax)
    return to_svg(fig, f"trend-{ident}")
