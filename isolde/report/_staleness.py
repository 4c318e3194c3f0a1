"""Terminal figures of the staleness checker (a table, overall and per read mode) and of the
change-stream checker (one line: records, lag, info appends)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def render_staleness(results: dict[str, Any], console: Console) -> None:
    """Print reads, stale fraction, time staleness and version staleness per read mode."""
    s = results.get("checkers", {}).get("staleness")
    if not s or "reads" not in s:
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False,
              title="staleness", title_justify="left", title_style="bold")
    for col in ("mode", "reads", "stale", "p50 ms", "p99 ms", "max ms", "versions max"):
        t.add_column(col, justify="right" if col != "mode" else "left")
    rows = [*s.get("by_mode", {}).items()]
    if len(rows) != 1:
        rows.append(("all", s))
    for mode, d in rows:
        ts = d["time_staleness_ms"]
        t.add_row(mode, str(d["reads"]), f"{100 * d['stale_fraction']:.1f}%",
                  f"{ts['p50']:.1f}", f"{ts['p99']:.1f}", f"{ts['max']:.1f}",
                  str(d["version_staleness"]["max"]))
    console.print(t)


def render_stream(results: dict[str, Any], console: Console) -> None:
    """One line: records received, stream lag p50 / p99 / max, info appends seen or not."""
    s = results.get("checkers", {}).get("change-stream")
    if not s or "lag_ms" not in s:
        return
    lag, info = s["lag_ms"], s["info_writes"]
    states = s.get("promises", {}).get("every_write") is False
    kind = "snapshots (states: one may carry several appends)" if states else "records"
    console.print(f"change stream: {s['events']} {kind} for {s['writes']['ok']} ok appends; "
                  f"lag p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, max {lag['max']:.1f} "
                  f"ms; info appends seen {info['seen']}, unseen {info['unseen']}",
                  highlight=False)
