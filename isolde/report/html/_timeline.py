"""The timeline around one anomaly, Porcupine/Knossos style: a lane per process, a bar per op
from invocation to completion coloured by outcome, values on the bars, the ops the explanation
names outlined, fault windows shaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ...checkers import show_value
from ...histories import History, hashable
from ._figure import OUTCOME_COLOURS, Window, new_figure, shade_faults, to_svg
from ._ops import OUTCOMES, OpTable

MAX_BARS = 40  # ops drawn around one anomaly: the named ones, then the nearest others
CONTEXT_OPS = 3  # of a linearizability anomaly's prefix_tail: the last ops linearized before
LABEL_CHARS = 26
READS = frozenset({"read", "r", "get"})


def named_rows(history: History, table: OpTable, anomaly: Mapping[str, Any],
               field: str = "ops") -> list[int]:
    """Table rows of the client ops an anomaly names in ``field`` (invocations or
    completions)."""
    indices = anomaly.get(field) or ()
    rows = {table.row_of(history, i) for i in indices if isinstance(i, int)}
    rows.discard(-1)
    return sorted(rows)


def timeline_plot(history: History, table: OpTable, anomaly: Mapping[str, Any],
                  windows: Sequence[Window], salt: str) -> str | None:
    """The SVG timeline of the ops around ``anomaly``, or None when it names no client op."""
    named = named_rows(history, table, anomaly)
    if not named:
        return None
    context = named_rows(history, table, {"tail": (anomaly.get("prefix_tail") or [])[
        -CONTEXT_OPS:]}, "tail")
    rows = _rows_around(history, table, sorted({*named, *context}), anomaly.get("key"))
    processes = sorted({_process(history, table, r) for r in rows}, key=str)
    lane = {p: n for n, p in enumerate(processes)}
    fig, ax = new_figure(10.0, 1.3 + 0.32 * len(processes), left=1.0)
    lo = float(table.start[rows].min()) * 1e3
    hi = float(table.end[rows].max()) * 1e3
    pad = max((hi - lo) * 0.03, 1e-3)
    key = anomaly.get("key")
    for r in rows:
        y = lane[_process(history, table, r)]
        start, end = table.start[r] * 1e3, table.end[r] * 1e3
        outcome = OUTCOMES[int(table.outcome[r])]
        is_named = r in named
        ax.barh(y, max(end - start, pad / 10), left=start, height=0.62,
                color=OUTCOME_COLOURS[outcome], alpha=0.9 if is_named else 0.45,
                edgecolor="#212529" if is_named else "none", linewidth=1.6)
        ax.text((max(start, lo) + min(end, hi)) / 2, y, op_label(history, int(table.index[r]), key),
                ha="center", va="center", fontsize=7, clip_on=True,
                fontweight="bold" if is_named else "normal")
    shade_faults(ax, [Window(w.fault, w.start * 1e3, w.end * 1e3) for w in windows], lo, hi)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(processes) - 0.5, -0.5)
    ax.set_yticks(range(len(processes)), [f"process {p}" for p in processes])
    ax.set_xlabel("time since the run started (ms); outlined: the ops the explanation names")
    for name, colour in OUTCOME_COLOURS.items():
        ax.barh(0, 0, color=colour, label=name)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return to_svg(fig, salt)


def op_label(history: History, inv: int, key: Any = None, chars: int = LABEL_CHARS) -> str:
    """``write 3``, ``read → 2``, ``cas [1 2] (fail)``...: f and its value (rendered as in the
    explanations), short."""
    comp = history.pair(inv)
    f = str(history.fs[inv])
    v_in = _unkey(history.values[inv], key)
    v_out = _unkey(history.values[comp], key) if comp >= 0 else None
    outcome = OUTCOMES.get(history.types[comp], "info") if comp >= 0 else "info"
    if f in READS:
        text = f"{f} → {show_value(v_out)}" if outcome == "ok" else f"{f} ({outcome})"
    elif f == "txn":
        text = show_value(v_out if outcome == "ok" else v_in)
    else:
        text = f"{f} {show_value(v_in)}" + ("" if outcome == "ok" else f" ({outcome})")
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _unkey(value: Any, key: Any) -> Any:
    """The value of a ``[key, value]`` tuple when the anomaly is about that key."""
    if key is not None and isinstance(value, list | tuple) and len(value) == 2:
        return value[1]
    return value


def _process(history: History, table: OpTable, row: int) -> Any:
    return history.processes[int(table.index[row])]


def _rows_around(history: History, table: OpTable, named: list[int],
                 key: Any) -> npt.NDArray[np.int64]:
    """The named rows (and context) plus the ops overlapping their span (of the same key, when
    the anomaly has one), nearest first, at most MAX_BARS in all."""
    t0 = float(table.start[named].min())
    t1 = float(table.end[named].max())
    margin = max((t1 - t0) * 0.15, 1e-4)
    near = np.flatnonzero((table.start <= t1 + margin) & (table.end >= t0 - margin))
    named_set = set(named)
    others = [int(r) for r in near if int(r) not in named_set]
    if key is not None:
        k = hashable(key)
        others = [r for r in others if _key_of(history.values[int(table.index[r])]) == k]
    mid = (t0 + t1) / 2
    others.sort(key=lambda r: abs((table.start[r] + table.end[r]) / 2 - mid))
    keep = named + others[: max(0, MAX_BARS - len(named))]
    return np.array(sorted(keep), dtype=np.int64)


def _key_of(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2:
        return hashable(value[0])
    return None
