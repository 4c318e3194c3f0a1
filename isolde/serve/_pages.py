"""The HTML of the serve pages: the runs table and the paged history view (no scripts: the
table sorts and filters through query parameters, so it works with JavaScript off)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from ._runs import RunInfo

COLUMNS = (("time", "time"), ("store", "store"), ("workload", "workload"),
           ("nemesis", "nemesis"), ("verdict", "verdict"), ("anomalies", "anomaly_types"),
           ("ops", "ops"), ("duration", "duration_s"))
FILTERS = ("store", "workload", "verdict")
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1rem 1.5rem;color:#212529}
table{border-collapse:collapse;font-size:13px}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e9ecef;text-align:left}
th{background:#f8f9fa}th a{color:inherit}
.valid{color:#2b8a3e;font-weight:600}.invalid{color:#c92a2a;font-weight:600}
.unknown{color:#e67700;font-weight:600}.running{color:#1c7ed6;font-weight:600}
form{margin:.6rem 0}label{margin-right:.8rem}
td.value{font-family:ui-monospace,monospace;max-width:60em;overflow-wrap:anywhere}
nav a{margin-right:1rem}
"""


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
            f"{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>{body}</body></html>\n")


def select(runs: Sequence[RunInfo], query: Mapping[str, str]) -> list[RunInfo]:
    """The runs matching the ``store`` / ``workload`` / ``verdict`` filters, sorted by ``sort``
    (a column) and ``order`` (asc or desc; default newest first)."""
    chosen = [r for r in runs
              if all(not query.get(f) or getattr(r, f) == query[f] for f in FILTERS)]
    key = dict(COLUMNS).get(query.get("sort", ""), "time")
    # The path breaks ties, so one order is exactly the other reversed.
    chosen.sort(key=lambda r: (_sort_key(getattr(r, key)), r.path),
                reverse=query.get("order", "desc" if key == "time" else "asc") == "desc")
    return chosen


def _sort_key(v: Any) -> tuple[int, Any]:
    """Missing values last, numbers as numbers, tuples by their text."""
    if v is None:
        return (1, 0)
    return (0, ",".join(v) if isinstance(v, tuple) else v)


def index_page(store_dir: str, runs: Sequence[RunInfo], query: Mapping[str, str]) -> str:
    chosen = select(runs, query)
    form = "".join(_filter(f, sorted({getattr(r, f) for r in runs}), query.get(f, ""))
                   for f in FILTERS)
    body = (f'<p>{len(chosen)} of {len(runs)} runs in <code>{escape(store_dir)}</code> '
            "(times in UTC)</p>"
            f'<form method="get">{form}<button type="submit">filter</button> '
            f'<a href="/">clear</a></form>')
    head = "".join(f"<th>{_sort_link(label, query)}</th>" for label, _ in COLUMNS)
    rows = "".join(_row(r) for r in chosen)
    return page("isolde runs", body + f'<table id="runs"><thead><tr>{head}<th>files</th></tr>'
                f"</thead><tbody>{rows}</tbody></table>")


def _filter(name: str, values: Sequence[str], current: str) -> str:
    options = '<option value="">all</option>' + "".join(
        f'<option{" selected" if v == current else ""}>{escape(v)}</option>' for v in values)
    return f'<label>{name} <select name="{name}">{options}</select></label>'


def _sort_link(label: str, query: Mapping[str, str]) -> str:
    order = "desc" if query.get("sort") == label and query.get("order") == "asc" else "asc"
    params = {k: v for k, v in query.items() if k in FILTERS and v}
    return f'<a href="/?{escape(urlencode({**params, "sort": label, "order": order}))}">' \
           f"{escape(label)}</a>"


def _row(r: RunInfo) -> str:
    base = "/runs/" + quote(r.path)
    links = [f'<a href="{base}/report.html">report</a>' if r.has_report else "no report",
             f'<a href="{base}/history">history</a>',
             f'<a href="{base}/history.jsonl" download>download</a>']
    if r.verdict != "running":
        links.append(f'<a href="{base}/results.json">results.json</a>')
    cells = [r.time, r.store, r.workload, r.nemesis]
    tds = "".join(f"<td>{escape(c)}</td>" for c in cells)
    tds += f'<td class="{r.verdict}">{r.verdict}</td>'
    tds += f"<td>{escape(', '.join(r.anomaly_types) or '-')}</td>"
    tds += f"<td>{'-' if r.ops is None else f'{r.ops:,}'}</td>"
    tds += f"<td>{'-' if r.duration_s is None else f'{r.duration_s:.1f} s'}</td>"
    return f'<tr data-path="{escape(r.path)}">{tds}<td>{" · ".join(links)}</td></tr>'


def history_page(path: str, lines: Sequence[bytes], page_no: int, more: bool,
                 per_page: int) -> str:
    """One page of a history: an op a row, a torn line (a run still writing) shown as text."""
    rows = []
    for n, line in enumerate(lines, start=page_no * per_page + 1):
        rows.append(_history_row(n, line))
    base = "/runs/" + quote(path)
    nav = ['<a href="/">all runs</a>', f'<a href="{base}/history.jsonl" download>download</a>']
    if page_no > 0:
        nav.append(f'<a href="{base}/history?page={page_no - 1}">previous</a>')
    if more:
        nav.append(f'<a href="{base}/history?page={page_no + 1}">next</a>')
    head = "".join(f"<th>{h}</th>" for h in ("line", "index", "time (ms)", "type", "process",
                                              "f", "value", "error"))
    body = (f"<nav>{''.join(nav)}</nav><p>page {page_no + 1}, lines "
            f"{page_no * per_page + 1} to {page_no * per_page + len(lines)}</p>"
            f'<table id="history"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            f"</tbody></table>")
    return page(f"history of {path}", body)


def _history_row(n: int, line: bytes) -> str:
    try:
        op = orjson.loads(line)
    except orjson.JSONDecodeError:
        op = None
    if not isinstance(op, dict):
        text = line.decode("utf-8", "replace")
        return f'<tr><td>{n}</td><td colspan="7" class="value">{escape(text)}</td></tr>'
    time = op.get("time")
    cells = [n, op.get("index", ""), f"{time / 1e6:.3f}" if isinstance(time, int) else "",
             op.get("type", ""), op.get("process", ""), op.get("f", "")]
    tds = "".join(f"<td>{escape(str(c))}</td>" for c in cells)
    for k in ("value", "error"):
        v = op.get(k)
        text = "" if v is None else orjson.dumps(v, default=str).decode()
        tds += f'<td class="value">{escape(text)}</td>'
    return f"<tr>{tds}</tr>"
