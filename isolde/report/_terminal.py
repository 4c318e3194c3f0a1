"""Terminal rendering of results (rich): verdict, anomaly counts, throughput, latencies."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..checkers import show_value
from ._staleness import render_staleness, render_stream

VERDICT = {True: "[bold green]VALID[/]", False: "[bold red]INVALID[/]"}


def verdict_word(valid: Any) -> str:
    """VALID, INVALID or UNKNOWN (for logs and plain text)."""
    return "VALID" if valid is True else "INVALID" if valid is False else "UNKNOWN"


def verdict_text(valid: Any) -> str:
    return VERDICT.get(valid, "[bold yellow]UNKNOWN[/]") if isinstance(valid, bool) else (
        "[bold yellow]UNKNOWN[/]")


def render_summary(results: dict[str, Any], console: Console, title: str = "",
                   max_anomalies: int = 5) -> None:
    """Print the verdict, each checker's verdict and true anomaly counts, examples of every
    anomaly type found, what the checkers add (models ruled out, whole-history
    linearizability), and the stats figures."""
    console.print(f"{escape(title)}{verdict_text(results['valid'])}")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("checker")
    table.add_column("verdict")
    table.add_column("anomalies")
    for name, r in results.get("checkers", {}).items():
        counts = _counts(r)
        table.add_row(name, verdict_text(r["valid"]),
                      escape(", ".join(f"{t} x{n}" for t, n in counts.items()) or "-"))
    console.print(table)
    for name, r in results.get("checkers", {}).items():
        _render_checker(name, r, console, max_anomalies)
    render_staleness(results, console)
    render_stream(results, console)
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
        aborts = stats.get("aborts") or {}
        if aborts:
            console.print("aborts: " + ", ".join(
                f"{f} {a['aborted']}/{a['attempts']} attempts ({a['abort_rate']:.1%})"
                + (f", {a['retries']} requests resent" if a["retries"] else "")
                for f, a in aborts.items()), highlight=False)
        untimed = stats.get("untimed")
        if untimed:
            console.print(untimed, highlight=False)
        lat = stats.get("latency_ms", {})
        if lat or untimed:
            t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for col in ("f", "ok", "fail", "info", "p50 ms", "p99 ms"):
                t.add_column(col, justify="right" if col != "f" else "left")
            for f, counts in stats.get("by_f", {}).items():
                q = lat.get(f, {})
                t.add_row(f, str(counts.get("ok", 0)), str(counts.get("fail", 0)),
                          str(counts.get("info", 0)), *(f"{q[p]:.3f}" if p in q else "-"
                                                        for p in ("p50", "p99")))
            console.print(t)


def _counts(r: dict[str, Any]) -> dict[str, int]:
    """True anomaly counts per type (``anomaly_counts`` may also count allowed types)."""
    listed: dict[str, int] = {}
    for a in r.get("anomalies", []):
        listed[a["type"]] = listed.get(a["type"], 0) + 1
    sample = r.get("anomalies_sample", {})
    return {t: sample[t]["found"] if t in sample else n for t, n in sorted(listed.items())} | {
        t: s["found"] for t, s in sorted(sample.items()) if t not in listed}


def examples(anomalies: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Up to ``n`` anomalies (more if there are more types), the first of every type first."""
    firsts: dict[str, dict[str, Any]] = {}
    for a in anomalies:
        firsts.setdefault(a["type"], a)
    chosen = list(firsts.values())
    ids = {id(a) for a in chosen}
    chosen += [a for a in anomalies if id(a) not in ids][:max(0, n - len(chosen))]
    return chosen


def _render_checker(name: str, r: dict[str, Any], console: Console, n: int) -> None:
    say = _plain(console)
    shown = examples(r.get("anomalies", []), n)
    for a in shown:
        console.print(f"  [red]{escape(a['type'])}[/] ({escape(name)}) "
                      f"{escape(_ops(a))}{escape(_window(a))}: {escape(a.get('explanation', ''))}",
                      highlight=False)
    for u in r.get("unknown", [])[:n]:  # why a search gave up, and how far
        where = "" if u.get("key") is None else f"key {show_value(u['key'])}: "
        console.print(f"  [yellow]unknown[/] ({escape(name)}) {escape(where)}"
                      f"{escape(str(u.get('reason', '')))}; longest partial linearization "
                      f"{u.get('longest_length', 0)} of {u.get('ops', '?')} ops", highlight=False)
    if r.get("valid") not in (True, False) and r.get("reason"):
        say(f"  unknown ({name}): {r['reason']}")
    extra = sum(_counts(r).values()) - len(shown)
    if extra > 0:
        say(f"  ... and {extra} more {name} anomalies (see results.json)")
    sample = r.get("anomalies_sample", {})
    if sample:
        say(f"  results.json lists a sample of each {name} type: "
            + ", ".join(f"{t} {s['listed']} of {s['found']}" for t, s in sample.items()))
    if r.get("models") is not None and "may_satisfy" in r:
        say(f"  {name}: {_models(r)}")
    whole = r.get("whole_history")
    if whole is not None:
        verdict = {True: "linearizable", False: "not linearizable"}.get(
            whole.get("linearizable"), "linearizability unknown")
        say(f"  whole history: {verdict} (information: each read is judged by the "
            "consistency it asked for)")


def _ops(a: dict[str, Any]) -> str:
    ops = a.get("ops", [])
    return f"ops {ops[:10]}" + (" ..." if len(ops) > 10 else "")


def _window(a: dict[str, Any]) -> str:
    """Where an anomaly fell relative to the fault windows (when the history had faults)."""
    ws = a.get("fault_windows")
    if ws is None:
        return ""
    if not ws:
        return " [outside fault windows]"
    return " [during " + ", ".join(f"{w['fault']} #{w['window']}" for w in ws) + "]"


def _models(r: dict[str, Any]) -> str:
    """The strongest models the history is consistent with, and those it rules out."""
    strongest = r.get("may_satisfy")
    ruled = r.get("ruled_out", [])
    head = ("strongest model it is consistent with: " + ", ".join(strongest) if strongest
            else "no model it is consistent with was established" if strongest is None
            else "consistent with no model")
    return head + ("; ruled out: " + ", ".join(ruled) if ruled else "; ruled out: none")


def _plain(console: Console) -> Any:
    return lambda text: console.print(text, markup=False, highlight=False)
