"""Terminal rendering of results (rich): verdict, anomaly counts, throughput, latencies."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from ._staleness import render_staleness

VERDICT = {True: "[bold green]VALID[/]", False: "[bold red]INVALID[/]"}


def verdict_text(valid: Any) -> str:
    return VERDICT.get(valid, "[bold yellow]UNKNOWN[/]") if isinstance(valid, bool) else (
        "[bold yellow]UNKNOWN[/]")


def render_summary(results: dict[str, Any], console: Console, title: str = "",
                   max_anomalies: int = 5) -> None:
    """Print the verdict, each checker's verdict and anomaly counts, and the stats figures."""
    console.print(f"{title}{verdict_text(results['valid'])}")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("checker")
    table.add_column("verdict")
    table.add_column("anomalies")
    for name, r in results.get("checkers", {}).items():
        counts = Counter(a["type"] for a in r.get("anomalies", []))
        # A checker that lists only some anomalies per type gives the totals in anomaly_counts.
        totals = r.get("anomaly_counts") or {}
        counts = Counter({t: max(n, totals.get(t, 0)) for t, n in counts.items()})
        table.add_row(name, verdict_text(r["valid"]),
                      ", ".join(f"{t} x{n}" for t, n in sorted(counts.items())) or "-")
    console.print(table)
    for name, r in results.get("checkers", {}).items():
        for a in r.get("anomalies", [])[:max_anomalies]:
            console.print(f"  [red]{a['type']}[/] ({name}) ops {a.get('ops', [])[:10]}: "
                          f"{a.get('explanation', '')}", highlight=False)
        for u in r.get("unknown", [])[:max_anomalies]:  # why a search gave up, and how far
            where = "" if u.get("key") is None else f"key {u['key']!r}: "
            console.print(f"  [yellow]unknown[/] ({name}) {where}{u.get('reason', '')}; "
                          f"longest partial linearization {u.get('longest_length', 0)} of "
                          f"{u.get('ops', '?')} ops", highlight=False)
        extra = len(r.get("anomalies", [])) - max_anomalies
        if extra > 0:
            console.print(f"  ... and {extra} more {name} anomalies (see results.json)")
    render_staleness(results, console)
    faults = results.get("faults")
    if faults:
        parts = [f"{f} x{b['count']} ({b['seconds']:.1f} s)" for f, b in faults["by_fault"].items()]
        healed = "all healed" if faults.get("healed") else "[red]NOT all healed[/]"
        console.print(f"faults: {', '.join(parts) or 'none started'}; {healed}", highlight=False)
    stats = results.get("stats") or results.get("checkers", {}).get("stats")
    if stats:
        rate = stats.get("ops_per_s")
        console.print(f"ops: {stats.get('ops', 0)}"
                      + (f"  ({rate:,.0f} ops/s)" if rate else ""), highlight=False)
        lat = stats.get("latency_ms", {})
        if lat:
            t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for col in ("f", "ok", "fail", "info", "p50 ms", "p99 ms"):
                t.add_column(col, justify="right" if col != "f" else "left")
            for f, counts in stats.get("by_f", {}).items():
                q = lat.get(f, {})
                t.add_row(f, str(counts.get("ok", 0)), str(counts.get("fail", 0)),
                          str(counts.get("info", 0)), f"{q.get('p50', 0):.3f}",
                          f"{q.get('p99', 0):.3f}")
            console.print(t)
