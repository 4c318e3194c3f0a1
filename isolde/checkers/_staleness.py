"""The ``staleness`` checker: how far behind each read was, and an optional SLA verdict.

Definitions (full text in docs/staleness.md). For an ok read r of key k that
returned the value written by w (the initial value counts as a write completed at -inf), the
**missed writes** are the ok writes w' != w to k (ok writes and successful cas) that completed
before r was invoked and were invoked after w completed, so w' is certainly newer than w.
``version_staleness(r)`` is their number, ``time_staleness(r)`` is r's invocation time minus the
earliest completion among them (0 if none). A read is stale when it missed a write.

The t-visibility curve (PBS): for t on a grid, among reads invoked at least t ms after some ok
write of their key completed, the fraction that missed no write completed at least t ms before
the read was invoked (at t = 0: the fresh reads). Equivalently a read is t-visible unless
``time_staleness(r) >= t`` (and stale, at t = 0).

Without an SLA the result is a measurement: valid unless a read returned a value that no write
produced (``thin-air-read``, always invalid). With ``CheckConfig.staleness_sla`` each limit is a
gate (``staleness-sla-exceeded``). Cost: O((n + reads·c) log n), c the writes in flight at once.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from itertools import compress, repeat
from operator import eq, is_not
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from ..histories import History
from ._base import CheckConfig
from ._registers import (
    INIT,
    NEG,
    THIN,
    RegisterView,
    decode,
    hashable,
    is_register_history,
    paused_gc,
)
from ._result import UNKNOWN, Anomaly, Result, Validity
from ._sla import Limit, parse_sla, sla_figure
from ._staleness_np import missed_writes
from ._stats import nearest_rank
from ._values import show_value

DETAILS_FILE = "staleness.jsonl"
GRID_MS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 60_000,
           120_000, 300_000, 600_000, 1_800_000, 3_600_000)
MAX_LISTED = 100  # anomalies listed per type; the counts say how many there were
# Below this many reads the per-read pass is as fast (numpy's per-call cost dominates).
MIN_READS = 2048


class ReadStaleness:
    """Per-read figures, as columns indexed by read id (see :class:`RegisterView`)."""

    def __init__(self, view: RegisterView) -> None:
        n = len(view.r_key)
        self.missed = [0] * n  # version staleness
        self.time_ns = [0] * n  # time staleness
        self.first_missed = [-1] * n  # write id of the earliest-completing missed write
        self.age_ns: list[int | None] = [None] * n  # since the key's first ok write completed


def measure(view: RegisterView, vectorised: bool | None = None) -> ReadStaleness:
    """Missed writes for every ok read with a known source (thin-air reads are left at 0).
    ``vectorised`` picks numpy's pass (:mod:`._staleness_np`) or the per-read one below (the
    same figures); by default numpy's for large histories."""
    out = ReadStaleness(view)
    if vectorised is None:
        vectorised = len(view.r_key) >= MIN_READS
    got = missed_writes(view) if vectorised else None
    if got is not None:
        out.missed, out.time_ns, out.first_missed, out.age_ns = got
        return out
    per_key: dict[Hashable, tuple[list[int], list[int], list[int], list[int]]] = {}
    by_key: dict[Hashable, list[int]] = {}
    for w, ok in enumerate(view.w_ok):
        if ok:
            by_key.setdefault(view.w_key[w], []).append(w)
    for k, ws in by_key.items():
        ws.sort(key=view.w_comp.__getitem__)
        comps = [view.w_comp[w] for w in ws]
        invs = [view.w_inv[w] for w in ws]
        # sufmin[m] = min(invs[m:]): lets the scan stop once every later write began after c.
        sufmin = invs[:]
        for m in range(len(sufmin) - 2, -1, -1):
            if sufmin[m + 1] < sufmin[m]:
                sufmin[m] = sufmin[m + 1]
        per_key[k] = (comps, invs, sufmin, ws)
    w_comp = view.w_comp
    missed, time_ns, first, age = out.missed, out.time_ns, out.first_missed, out.age_ns
    for r, (k, src, t) in enumerate(zip(view.r_key, view.r_src, view.r_inv, strict=True)):
        if src == THIN or k in view.ambiguous_keys:
            continue
        entry = per_key.get(k)
        if entry is None:
            continue
        comps, invs, sufmin, ws = entry
        age[r] = t - comps[0]
        c = NEG if src == INIT else w_comp[src]
        if c >= t:
            continue  # w completed after r began (or never): nothing can be certainly newer
        lo = bisect_right(comps, c)
        hi = bisect_left(comps, t)
        if lo >= hi:
            continue
        # Writes with comp in (c, t) are missed unless they began at or before c (in flight
        # when w completed): count those; they are few (bounded by the concurrency).
        concurrent = 0
        first_fresh = -1
        m = lo
        while m < hi and sufmin[m] <= c:
            if invs[m] <= c:
                concurrent += 1
            elif first_fresh < 0:
                first_fresh = m
            m += 1
        if first_fresh < 0 and m < hi:
            first_fresh = m
        n_missed = hi - lo - concurrent
        if n_missed:
            missed[r] = n_missed
            time_ns[r] = t - comps[first_fresh]
            first[r] = ws[first_fresh]
    return out


class _Columns:
    """:class:`ReadStaleness` as numpy columns, for figures over hundreds of thousands of
    reads (every figure comes out as the Python int or float it was)."""

    def __init__(self, st: ReadStaleness) -> None:
        self.missed = np.asarray(st.missed, dtype=np.int64)
        self.time_ns = np.asarray(st.time_ns, dtype=np.int64)
        has = list(map(is_not, st.age_ns, repeat(None)))  # in C, as below
        self.has_age = np.fromiter(has, dtype=bool, count=len(has))
        self.age_ns = np.zeros(len(has), dtype=np.int64)
        self.age_ns[self.has_age] = np.fromiter(compress(st.age_ns, has), dtype=np.int64,
                                                count=int(self.has_age.sum()))


def _summary(reads: NDArray[np.int64], st: _Columns) -> dict[str, Any]:
    n = len(reads)
    versions = st.missed[reads]
    ordered = np.sort(st.time_ns[reads]) / 1e6
    times: list[float] = ordered.tolist()
    stale_ms: list[float] = ordered[ordered > 0].tolist()
    stale = int(np.count_nonzero(versions))
    return {
        "reads": n,
        "stale_reads": stale,
        "stale_fraction": stale / n if n else 0.0,
        "time_staleness_ms": {
            "p50": nearest_rank(times, 0.5), "p95": nearest_rank(times, 0.95),
            "p99": nearest_rank(times, 0.99), "p999": nearest_rank(times, 0.999),
            "max": times[-1] if times else 0.0,
        },
        "version_staleness": {
            "mean": int(versions.sum()) / n if n else 0.0,
            "max": int(versions.max()) if n else 0,
        },
        # The distribution of stale reads' time staleness in 101 points (q = 0, 0.01 ... 1), so
        # a report can draw its CDF without the per-read details.
        "stale_ms_quantiles": [round(nearest_rank(stale_ms, q / 100), 3) for q in range(101)]
        if stale_ms else [],
    }


def t_visibility(reads: Sequence[int], st: ReadStaleness,
                 grid: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """PBS t-visibility points ``{t_ms, reads, visible, p}`` (see the module docstring)."""
    return _t_visibility(np.asarray(reads, dtype=np.int64), _Columns(st), grid)


def _t_visibility(reads: NDArray[np.int64], st: _Columns,
                  grid: Sequence[int] | None) -> list[dict[str, Any]]:
    ages = np.sort(st.age_ns[reads][st.has_age[reads]])
    stale_t = np.sort(st.time_ns[reads][st.missed[reads] != 0])
    if grid is None:
        top = int(stale_t[-1]) / 1e6 if len(stale_t) else 0.0
        grid = [g for g in GRID_MS if g <= 100]
        for g in GRID_MS:
            if g > 100 and (not grid or grid[-1] < top):
                grid.append(g)
    points = []
    for t_ms in grid:
        t = int(t_ms * 1_000_000)
        eligible = len(ages) - int(np.searchsorted(ages, t, side="left"))
        invisible = len(stale_t) - (int(np.searchsorted(stale_t, t, side="left"))
                                    if t > 0 else 0)
        visible = eligible - invisible
        points.append({"t_ms": t_ms, "reads": eligible, "visible": visible,
                       "p": visible / eligible if eligible else None})
    return points


class StalenessChecker:
    """Staleness of ok reads on register histories; a verdict only with an SLA (see module)."""

    name = "staleness"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()
        self.sla: tuple[Limit, ...] = (
            parse_sla(self.config.staleness_sla) if self.config.staleness_sla else ()
        )

    def check(self, history: History) -> Result:
        with paused_gc():
            return self._check(history)

    def _check(self, history: History) -> Result:
        if not is_register_history(history):
            return Result(UNKNOWN, [], {"reason": "no read/write/cas ops to measure"})
        view = decode(history)
        st = measure(view)
        cols = _Columns(st)
        reads = _measured(view)
        data = _summary(reads, cols)
        modes = _by_mode(view, reads)
        data["by_mode"] = {m: _summary(rs, cols) for m, rs in modes.items()}
        data["t_visibility"] = _t_visibility(reads, cols, None)
        grid = [p["t_ms"] for p in data["t_visibility"]]
        data["by_mode_t_visibility"] = {m: _t_visibility(rs, cols, grid)
                                        for m, rs in modes.items()}
        anomalies, valid = self._verdict(view, data)
        if self.config.details and self.config.out_dir is not None:
            path = Path(self.config.out_dir) / DETAILS_FILE
            write_details(path, view, st)
            data["details"] = str(path)
        return Result(valid, anomalies, data)

    def _verdict(self, view: RegisterView, data: dict[str, Any]) -> tuple[list[Anomaly],
                                                                          Validity]:
        anomalies: list[Anomaly] = []
        thin = [r for r in compress(range(len(view.r_src)), map(eq, view.r_src, repeat(THIN)))
                if view.r_key[r] not in view.ambiguous_keys]
        for r in thin[:MAX_LISTED]:
            anomalies.append(thin_air_anomaly(view, r))
        data["thin_air_reads"] = len(thin)
        valid: Validity = not thin
        if self.sla:
            checks = []
            for lim in self.sla:
                actual = sla_figure(lim, data)
                ok = actual <= lim.limit
                checks.append({**lim.to_json(), "actual": actual, "ok": ok})
                if not ok:
                    valid = False
                    unit = " ms" if lim.metric not in ("stale_fraction", "version_max",
                                                       "version_mean") else ""
                    anomalies.append(Anomaly(
                        "staleness-sla-exceeded", (),
                        f"staleness SLA {lim.text} exceeded: measured {lim.metric} = "
                        f"{actual:g}{unit}, limit {lim.limit:g}{unit}, over {data['reads']} "
                        "reads",
                        {"metric": lim.metric, "limit": lim.limit, "actual": actual}))
            data["sla"] = checks
            if data["reads"] == 0 and valid is True:
                valid = UNKNOWN  # an SLA over no reads proves nothing
        if anomalies:
            n_sla = sum(a.type == "staleness-sla-exceeded" for a in anomalies)
            data["anomaly_counts"] = {k: n for k, n in (("staleness-sla-exceeded", n_sla),
                                                         ("thin-air-read", len(thin))) if n}
        if view.ambiguous_keys:
            data["skipped_keys"] = len(view.ambiguous_keys)
            if valid is True:
                valid = UNKNOWN  # keys whose written values repeat cannot be measured
        return anomalies, valid


def _measured(view: RegisterView) -> NDArray[np.int64]:
    """The reads the figures cover: a known source, a key whose values are unique, not a
    cas's read half."""
    keep = (np.asarray(view.r_src, dtype=np.int64) != THIN) & ~np.asarray(view.r_cas,
                                                                           dtype=bool)
    if view.ambiguous_keys:
        keep &= np.fromiter((k not in view.ambiguous_keys for k in view.r_key), dtype=bool,
                            count=len(view.r_key))
    return np.flatnonzero(keep)


def _by_mode(view: RegisterView, reads: NDArray[np.int64]) -> dict[str, NDArray[np.int64]]:
    """The reads of each read mode, modes in name order."""
    names = sorted(set(view.r_mode))
    code = dict(zip(names, range(len(names)), strict=True))
    codes = np.fromiter(map(code.__getitem__, view.r_mode), dtype=np.int64,
                        count=len(view.r_mode))[reads]
    out = {name: reads[codes == c] for name, c in code.items()}
    return {name: rs for name, rs in out.items() if len(rs)}


def thin_air_anomaly(view: RegisterView, r: int) -> Anomaly:
    """A read of a value no (ok or info) write produced."""
    k, v = view.r_key[r], view.r_value[r]
    failed = view.failed_values.get((k, hashable(v)))
    where = f" of key {show_value(k)}" if view.keyed else ""
    why = (f"; the only write of it ({view.cite(failed)}) failed, so it certainly did not happen"
           if failed is not None else "")
    ops = (view.r_op[r],) if failed is None else (view.r_op[r], failed)
    return Anomaly(
        "thin-air-read", ops,
        f"{view.cite(view.r_op[r])} (process {view.r_proc[r]!r}) read {show_value(v)}{where}, "
        "a value "
        f"no write produced{why}",
        {"key": k, "value": v, "process": view.r_proc[r]})


def write_details(path: Path, view: RegisterView, st: ReadStaleness) -> None:
    """One JSON object per ok read: op, process, key, value, mode, version/time staleness, and
    the invocation index of the earliest missed write (null if fresh)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for r in range(len(view.r_key)):
            if view.r_cas[r]:
                continue
            src = view.r_src[r]
            fm = st.first_missed[r]
            row = {
                "op": view.r_op[r], "process": view.r_proc[r],
                "key": view.r_key[r] if view.keyed else None, "value": view.r_value[r],
                "mode": view.r_mode[r],
                "source_op": view.w_op[src] if src >= 0 else None,
                "thin_air": src == THIN,
                "version_staleness": st.missed[r],
                "time_staleness_ms": st.time_ns[r] / 1e6,
                "oldest_missed_op": view.w_op[fm] if fm >= 0 else None,
            }
            fh.write(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS) + b"\n")
