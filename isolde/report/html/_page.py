"""The report page: one self-contained HTML file, sections in the order a person reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from ...checkers import exit_code
from ...histories import History
from ...nemesis import fault_windows
from ._command import RunFlag, reproduce_command
from ._cycle import cycle_edges, cycle_plot
from ._figure import Window
from ._ops import OpTable, op_table
from ._plots import bank_plot, latency_plot, staleness_cdf_plot, t_visibility_plot, throughput_plot
from ._style import CSS
from ._timeline import named_rows, op_label, timeline_plot

MAX_OPS_LISTED = 12  # named ops tabulated per anomaly
OP_CHARS = 160  # an op's text in those tables
VERDICT_WORDS = {0: "VALID", 1: "INVALID", 2: "UNKNOWN"}


@dataclass
class ReportInput:
    """What a report is drawn from: results.json's content, and optionally the history and the
    scenario (without them the page has no plots, timelines or command)."""

    results: Mapping[str, Any]
    history: History | None = None
    scenario: Mapping[str, Any] | None = None
    source: str = ""
    run_flags: Mapping[str, RunFlag] = field(default_factory=dict)  # `isolde run`'s, by dest


@dataclass(frozen=True)
class Caps:
    """How much of the anomalies a page spells out (the rest is counted, and said so)."""

    listed: int = 50  # anomalies listed per checker
    figures_per_type: int = 3  # timelines / cycle graphs per anomaly type and checker


@dataclass
class _Context:
    inp: ReportInput
    table: OpTable | None
    windows: list[Window]
    caps: Caps
    cuts: list[str] = field(default_factory=list)
    figures: int = 0

    def salt(self, kind: str) -> str:
        self.figures += 1
        return f"{kind}-{self.figures}"


def render_html(inp: ReportInput, caps: Caps = Caps(), table: OpTable | None = None) -> str:
    """The whole page as one string (inline CSS and SVG, no scripts, no external resources)."""
    if table is None and inp.history is not None:
        table = op_table(inp.history)
    ctx = _Context(inp, table, _windows(inp), caps)
    parts = [
        _verdict(inp), _scenario(inp), _checkers(ctx), _faults(ctx), _load(ctx),
        _staleness(inp.results), _bank(ctx), _stats(inp.results),
    ]
    if ctx.cuts:
        parts.append(_section("cuts", "What this page leaves out",
                              "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in ctx.cuts)
                              + "</ul>"))
    title = f"isolde report: {inp.source}" if inp.source else "isolde report"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>{''.join(p for p in parts if p)}</body></html>\n")


def _windows(inp: ReportInput) -> list[Window]:
    if inp.history is not None:
        return [Window(w.fault, w.start / 1e9, w.end / 1e9) for w in fault_windows(inp.history)]
    faults = inp.results.get("faults") or {}
    return [Window(str(w.get("fault", "?")), float(w["start_s"]), float(w["end_s"]))
            for w in faults.get("windows", []) if "start_s" in w and "end_s" in w]


def _section(ident: str, heading: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{escape(heading)}</h2>{body}</section>'


def _figure(ident: str, svg: str, caption: str, cls: str = "plot") -> str:
    return (f'<figure class="{cls}" id="{escape(ident)}">{svg}'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _verdict_word(valid: Any) -> tuple[str, int]:
    code = exit_code(valid if isinstance(valid, bool) else "unknown")
    return VERDICT_WORDS[code], code


def _verdict(inp: ReportInput) -> str:
    word, code = _verdict_word(inp.results.get("valid"))
    types = inp.results.get("anomaly_types") or []
    found = f"<p>anomaly types: {escape(', '.join(map(str, types)))}</p>" if types else ""
    return (f'<section id="verdict-section"><p id="verdict" class="verdict {word.lower()}">'
            f"{word} <span class=\"exit\">exit code {code}</span></p>{found}</section>")


def _scenario(inp: ReportInput) -> str:
    s = inp.scenario
    if not s:
        return _section("scenario", "Scenario", "<p>No scenario.json: this history was not "
                        "recorded by <code>isolde run</code>, so there is no command to rerun.</p>")
    wo = s.get("workload_options") or {}
    so = s.get("store_options") or {}
    rows = [("store", s.get("store")), ("workload", s.get("workload")),
            ("read consistency", wo.get("read_consistency")), ("isolation", so.get("isolation")),
            ("nemesis", ", ".join(s.get("nemesis") or []) or "none"),
            ("seed", s.get("seed")), ("time limit (s)", s.get("time_limit")),
            ("concurrency", s.get("concurrency"))]
    command = reproduce_command(s, inp.run_flags)
    return _section("scenario", "Scenario", _table(
        ("", ""), [(k, v) for k, v in rows if v is not None], "kv")
        + "<p>Reproduce it (same seed, same schedule):</p>"
        f'<pre id="command">{escape(command)}</pre>')


def anomaly_counts(result: Mapping[str, Any]) -> Counter[str]:
    """Per type, the larger of the listed anomalies and the checker's own count (checkers that
    list only samples give the true totals in ``anomaly_counts``)."""
    listed = Counter(str(a.get("type", "?")) for a in result.get("anomalies", []))
    totals = result.get("anomaly_counts") or {}
    for t, n in totals.items():
        if isinstance(n, int):
            listed[str(t)] = max(listed[str(t)], n)
    return listed


def _checkers(ctx: _Context) -> str:
    checkers: Mapping[str, Any] = ctx.inp.results.get("checkers") or {}
    rows = []
    for name, r in checkers.items():
        counts = anomaly_counts(r)
        rows.append((name, _verdict_word(r.get("valid"))[0],
                     ", ".join(f"{t} x{n}" for t, n in sorted(counts.items())) or "-"))
    body = _table(("checker", "verdict", "anomalies by type"), rows, "checkers")
    body += "".join(_checker_anomalies(ctx, name, r) for name, r in checkers.items())
    return _section("checkers", "Checkers", body)


def _checker_anomalies(ctx: _Context, name: str, result: Mapping[str, Any]) -> str:
    anomalies = [a for a in result.get("anomalies", []) if isinstance(a, Mapping)]
    if not anomalies:
        return ""
    total = sum(anomaly_counts(result).values())
    listed = min(len(anomalies), ctx.caps.listed)
    if total > listed:
        ctx.cuts.append(f"{name}: {listed} of {total} anomalies listed"
                        " (results.json has the rest, or their counts)")
    drawn: Counter[str] = Counter()
    items = []
    for n, a in enumerate(anomalies[:listed]):
        kind = str(a.get("type", "?"))
        draw = drawn[kind] < ctx.caps.figures_per_type
        figures = _anomaly_figures(ctx, a, f"{name}-{n}") if draw else ""
        drawn[kind] += 1 if figures else 0
        items.append(f'<li class="anomaly" data-type="{escape(kind)}"><p><b class="atype">'
                     f"{escape(kind)}</b> ops {escape(str(a.get('ops', [])[:20]))}"
                     f"{_during(a)}</p>"
                     f'<p class="explanation">{escape(str(a.get("explanation", "")))}</p>'
                     f"{_ops_table(ctx, a)}{figures}</li>")
    if any(n > ctx.caps.figures_per_type for n in Counter(
            str(a.get("type")) for a in anomalies[:listed]).values()):
        ctx.cuts.append(f"{name}: timelines and cycle graphs for the first "
                        f"{ctx.caps.figures_per_type} anomalies of each type only")
    # Those drawn first; the rest folded, so the plots below stay a scroll away.
    shown = max(3, ctx.caps.figures_per_type)
    rest = (f'<details><summary>{len(items) - shown} more listed</summary>'
            f'<ol class="anomalies" start="{shown + 1}">{"".join(items[shown:])}</ol></details>'
            if len(items) > shown else "")
    return (f'<h3 id="checker-{escape(name)}">{escape(name)}</h3>'
            f'<ol class="anomalies">{"".join(items[:shown])}</ol>{rest}')


def _during(a: Mapping[str, Any]) -> str:
    """Where the anomaly fell relative to the fault windows (results.json's ``fault_windows``,
    present when the history had faults); the window numbers are the fault table's rows."""
    ws = a.get("fault_windows")
    if not isinstance(ws, list):
        return ""
    if not ws:
        return ' <span class="window">outside fault windows</span>'
    names = ", ".join(f"{w.get('fault', '?')} #{w.get('window', '?')}" for w in ws
                      if isinstance(w, Mapping))
    return f' <span class="window during">during {escape(names)}</span>'


def _anomaly_figures(ctx: _Context, a: Mapping[str, Any], ident: str) -> str:
    out = ""
    edges = cycle_edges(a)
    if edges:
        out += _figure(f"cycle-{ident}", cycle_plot(edges, ctx.salt("cycle")),
                       "dependency cycle: edges ww / wr / rw / process / realtime, with the key",
                       "cycle")
    h, table = ctx.inp.history, ctx.table
    if h is not None and table is not None:
        svg = timeline_plot(h, table, a, ctx.windows, ctx.salt("timeline"))
        if svg:
            out += _figure(f"timeline-{ident}", svg, "timeline around the anomaly: a lane per"
                           " process, green ok, red fail, amber info; fault windows shaded",
                           "timeline")
    return out


def _ops_table(ctx: _Context, a: Mapping[str, Any]) -> str:
    h, table = ctx.inp.history, ctx.table
    if h is None or table is None:
        return ""
    rows = []
    for r in named_rows(h, table, a)[:MAX_OPS_LISTED]:
        i = int(table.index[r])
        comp = h.pair(i)
        rows.append((i if comp < 0 else f"{i} → {comp}", h.processes[i],
                     op_label(h, i, a.get("key"), OP_CHARS),
                     h[comp].type if comp >= 0 else "never completed",
                     f"{table.start[r] * 1e3:.3f}", f"{table.end[r] * 1e3:.3f}"))
    return _table(("ops", "process", "op", "outcome", "invoked (ms)", "completed (ms)"),
                  rows, "ops") if rows else ""


def _faults(ctx: _Context) -> str:
    if not ctx.windows:
        return ""
    rows = [(n, w.fault, f"{w.start:.3f}", f"{w.end:.3f}", f"{w.end - w.start:.3f}")
            for n, w in enumerate(ctx.windows)]
    table = _table(("#", "fault", "start (s)", "end (s)", "seconds"), rows)
    if len(rows) > 10:  # a long soak has hundreds: folded, the plots below shade them all
        table = f"<details><summary>{len(rows)} windows</summary>{table}</details>"
    return _section("faults", "Fault windows", table)


def _load(ctx: _Context) -> str:
    if ctx.table is None or not len(ctx.table):
        return ""
    history = ctx.inp.history
    if history is not None and not history.timed:  # positions for times: nothing to plot
        return _section("load", "Latency and throughput",
                        "<p>No times in this history (its ops are timed by their position): "
                        "no latency or throughput to plot.</p>")
    svg, note = latency_plot(ctx.table, ctx.windows)
    if note:
        ctx.cuts.append(f"latency plot: {note}")
    return _section("load", "Latency and throughput",
                    _figure("latency-plot", svg, note or "every op")
                    + _figure("throughput-plot", throughput_plot(ctx.table, ctx.windows),
                              "completions per second, by f and outcome"))


def _staleness(results: Mapping[str, Any]) -> str:
    s = (results.get("checkers") or {}).get("staleness")
    if not isinstance(s, Mapping) or "reads" not in s:
        return ""
    modes: Mapping[str, Any] = s.get("by_mode") or {"all": s}
    rows = []
    for mode, d in modes.items():
        ts = d.get("time_staleness_ms", {})
        rows.append((mode, d.get("reads"), f"{100 * d.get('stale_fraction', 0):.1f}%",
                     *(f"{ts.get(p, 0):.2f}" for p in ("p50", "p95", "p99", "p999", "max")),
                     d.get("version_staleness", {}).get("max")))
    body = _table(("mode", "reads", "stale", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms",
                   "versions max"), rows)
    quantiles = {m: d.get("stale_ms_quantiles") or [] for m, d in modes.items()}
    if any(quantiles.values()):
        body += _figure("staleness-cdf", staleness_cdf_plot(quantiles),
                        "time staleness of the stale reads, per read mode")
    curves = s.get("by_mode_t_visibility") or {"all": s.get("t_visibility") or []}
    body += _figure("t-visibility", t_visibility_plot(curves, _sla_ms(s)),
                    "chance that a read begun t ms after a write completed sees it")
    return _section("staleness", "Staleness", body)


def _sla_ms(s: Mapping[str, Any]) -> float | None:
    """The tightest time limit of the SLA, if any (the line drawn on the t-visibility plot)."""
    limits = [float(t["limit"]) for t in s.get("sla") or []
              if t.get("metric") in ("p50", "p95", "p99", "p999", "max") and "limit" in t]
    return min(limits) if limits else None


def _bank(ctx: _Context) -> str:
    b = (ctx.inp.results.get("checkers") or {}).get("bank")
    if not isinstance(b, Mapping) or not b.get("totals"):
        return ""
    total = b.get("total")
    svg = bank_plot(b["totals"], float(total) if isinstance(total, int | float) else None,
                    ctx.windows)
    return _section("bank", "Bank", _figure("bank-plot", svg, "the sum of balances each read"
                                            " saw"))


def _ms(quantiles: Mapping[str, Any], q: str) -> str:
    """A latency quantile's cell: ``-`` where there is none (a history without times)."""
    return f"{quantiles[q]:.3f}" if q in quantiles else "-"


def _stats(results: Mapping[str, Any]) -> str:
    st = results.get("stats") or (results.get("checkers") or {}).get("stats")
    if not isinstance(st, Mapping):
        return ""
    lat = st.get("latency_ms") or {}
    rows = [(f, c.get("ok", 0), c.get("fail", 0), c.get("info", 0),
             *(_ms(lat.get(f, {}), q) for q in ("p50", "p90", "p99", "max")))
            for f, c in (st.get("by_f") or {}).items()]
    rate = st.get("ops_per_s")
    untimed = st.get("untimed")
    body = (f"<p>{st.get('ops', 0):,} ops" + (f", {rate:,.0f} ops/s" if rate else "")
            + (f", {st['duration_s']:.1f} s" if st.get("duration_s") else "")
            + (f"; {escape(str(untimed))}" if untimed else "") + "</p>")
    body += _table(("f", "ok", "fail", "info", "p50 ms", "p90 ms", "p99 ms", "max ms"), rows)
    errors = st.get("errors") or {}
    body += "<h3>Error kinds</h3>" + (_table(("error", "count"), sorted(
        errors.items(), key=lambda kv: -kv[1]), "errors") if errors else "<p>none</p>")
    return _section("stats", "Stats", body)
