"""Session guarantees (Terry et al. 1994) per process, on the "definitely older" order.

With u < v meaning u is definitely older than v (``hi(u) < lo(v)``, see :mod:`._causal_model`):

- **read-your-writes**: after process p writes v to k, p never reads from k a value u < v;
- **monotonic-reads**: after p reads v from k, p never reads from k a value u < v;
- **monotonic-writes**: if p writes x=a and later y=b (x != y), a process that reads y=b never
  later reads from x a value c < a (with x = y that reader breaks monotonic-reads, reported as
  such);
- **writes-follow-reads**: if p reads x=a and later writes y=b, a process that reads y=b never
  later reads from x a value c < a.

Only the newest of each kind of dependency matters (c < a for some a iff c < the a with the
greatest ``lo``), so each reader keeps, per writer process, the furthest point of that
writer's program it has read from (and the furthest one reached through another key), and each
check is a binary search: O(events · P · log n) for P processes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable
from typing import Any

from ._causal_model import INIT, NEG, READ, CausalModel, Findings
from ._result import Anomaly
from ._values import show_value

SESSION_TYPES = ("read-your-writes", "monotonic-reads", "monotonic-writes",
                 "writes-follow-reads")

# deps[p][k] = (max lo of all, [write positions], [prefix-max lo of p's writes of k], [the write
#               ids giving it], [read positions], [prefix-max lo of the values p read of k],
#               [the read ids giving it])
_Dep = tuple[int, list[int], list[int], list[int], list[int], list[int], list[int]]
_Deps = dict[Any, dict[Hashable, _Dep]]


def _dep_indexes(m: CausalModel) -> _Deps:
    deps: _Deps = {}
    r_src, r_key, w_key, w_lo = m.r_src, m.r_key, m.w_key, m.w_lo
    for p, evs in m.events.items():
        cols: dict[Hashable, list[list[int]]] = {}
        for pos, (kind, x) in enumerate(evs):
            if kind == READ:
                s = r_src[x]
                if s < INIT:
                    continue
                k, lo, base = r_key[x], (w_lo[s] if s >= 0 else NEG), 3
            else:
                k, lo, base = w_key[x], w_lo[x], 0
            d = cols.get(k)
            if d is None:
                d = cols[k] = [[], [], [], [], [], []]
            positions, los, ids = d[base], d[base + 1], d[base + 2]
            positions.append(pos)
            if los and los[-1] >= lo:
                los.append(los[-1])
                ids.append(ids[-1])
            else:
                los.append(lo)
                ids.append(x)
        deps[p] = {
            k: (max(d[1][-1] if d[1] else NEG, d[4][-1] if d[4] else NEG),
                d[0], d[1], d[2], d[3], d[4], d[5])
            for k, d in cols.items()
        }
    return deps


def check_sessions(m: CausalModel, out: Findings,
                   judged: Callable[[int], bool] | None = None) -> None:
    """All session-guarantee violations, at most one per type per read. With ``judged``, only
    reads it accepts (model read ids) are judged; the others still count as what their process
    saw (a session's guarantees cover everything it read, whatever mode the earlier reads
    asked for)."""
    deps = _dep_indexes(m)
    r_src, r_key, w_lo, w_hi, w_key, w_pos, w_proc = (m.r_src, m.r_key, m.w_lo, m.w_hi,
                                                      m.w_key, m.w_pos, m.w_proc)
    for q, evs in m.events.items():
        out.tick()
        ryw: dict[Hashable, int] = {}  # key -> q's write with the greatest lo
        mr: dict[Hashable, int] = {}  # key -> q's read whose value has the greatest lo
        # writer -> [pos, key, read, pos2, read2]: the furthest point of the writer's program q
        # read from (via read ``read`` of ``key``), and the furthest via any other key.
        srcs: dict[Any, list[Any]] = {}
        changes: list[Any] = []  # writers whose entry in srcs advanced, in order
        floors: dict[Hashable, list[int]] = {}  # key -> dependency floors (see _dependencies)
        for kind, x in evs:
            if kind != READ:
                k = w_key[x]
                w = ryw.get(k)
                if w is None or w_lo[x] > w_lo[w]:
                    ryw[k] = x
                continue
            s = r_src[x]
            if s < INIT:
                continue  # thin air or unplaced: judged elsewhere
            k = r_key[x]
            hs, ls = (w_hi[s], w_lo[s]) if s >= 0 else (NEG, NEG)
            report = judged is None or judged(x)
            w = ryw.get(k)
            if report and w is not None and hs < w_lo[w]:
                out.add("read-your-writes", _ryw, m, q, w, x)
            r0 = mr.get(k)
            if r0 is not None:
                s0 = r_src[r0]
                l0 = w_lo[s0] if s0 >= 0 else NEG
                if report and hs < l0:
                    out.add("monotonic-reads", _mr, m, q, r0, x)
                if ls > l0:
                    mr[k] = x
            else:
                mr[k] = x
            if srcs:
                _dependencies(m, deps, srcs, changes, floors, k, hs, x, out if report else None)
            if s >= 0 and _note_source(srcs, w_proc[s], w_pos[s], w_key[s], x):
                changes.append(w_proc[s])


def _dependencies(m: CausalModel, deps: _Deps, srcs: dict[Any, list[Any]], changes: list[Any],
                  floors: dict[Hashable, list[int]], k: Hashable, hs: int, r: int,
                  out: Findings | None) -> None:
    """Monotonic-writes and writes-follow-reads for read ``r`` of ``k`` (value ``hi`` = hs);
    with ``out`` None the floors are brought up to date but nothing is reported.

    ``floors[k]`` = [changes seen, greatest lo of a write dependency on k, that write, the read
    that brought it, greatest lo of a read dependency on k, that read, the read that brought
    it]. Sources only advance, so the floors only rise: each read of k revisits only the
    writers whose entry advanced since the previous read of k.
    """
    f = floors.get(k)
    if f is None:
        f = floors[k] = [0, NEG, -1, -1, NEG, -1, -1]
        procs: Any = srcs
    else:
        new = changes[f[0]:]
        procs = srcs if len(new) >= len(srcs) else set(new)
    f[0] = len(changes)
    for p in procs:
        d = deps[p].get(k)
        if d is None or (d[0] <= f[1] and d[0] <= f[4]):
            continue  # nothing of p on k can raise a floor
        ent = srcs[p]
        _top, wpos, wlo, wid, rpos, rlo, rid = d
        if wlo and wlo[-1] > f[1]:
            pos, via = (ent[0], ent[2]) if ent[1] != k else (ent[3], ent[4])
            if via >= 0:
                i = bisect_left(wpos, pos) - 1
                if i >= 0 and wlo[i] > f[1]:
                    f[1], f[2], f[3] = wlo[i], wid[i], via
        if rlo and rlo[-1] > f[4]:
            i = bisect_left(rpos, ent[0]) - 1
            if i >= 0 and rlo[i] > f[4]:
                f[4], f[5], f[6] = rlo[i], rid[i], ent[2]
    if out is None:
        return
    if hs < f[1]:
        out.add("monotonic-writes", _mw, m, f[2], f[3], r)
    if hs < f[4]:
        out.add("writes-follow-reads", _wfr, m, f[5], f[6], r)


def _note_source(srcs: dict[Any, list[Any]], p: Any, pos: int, key: Hashable, r: int) -> bool:
    """Record that the reader read p's program up to ``pos`` via ``key``; True if it advanced."""
    ent = srcs.get(p)
    if ent is None:
        srcs[p] = [pos, key, r, -1, -1]
        return True
    if key == ent[1]:
        if pos > ent[0]:
            ent[0], ent[2] = pos, r
            return True
    elif pos > ent[0]:
        ent[3], ent[4] = ent[0], ent[2]  # the old best came through another key
        ent[0], ent[1], ent[2] = pos, key, r
        return True
    elif pos > ent[3]:
        ent[3], ent[4] = pos, r
        return True
    return False


def _key(m: CausalModel, k: Hashable) -> str:
    return "" if k is None else f"{show_value(k)}"


def _older(m: CausalModel, s: int, than: int) -> str:
    if s == INIT:
        return "the initial value is older than any write"
    if m.exact:
        return (f"{show_value(m.w_value[s])} comes before {show_value(m.w_value[than])} in "
                "the key's version order")
    return (f"the write of {show_value(m.w_value[s])} ({m.cite(m.w_op[s])}) completed before the "
            "write of "
            f"{show_value(m.w_value[than])} ({m.cite(m.w_op[than])}) began")


def _ryw(m: CausalModel, q: Any, w: int, r: int) -> Anomaly:
    s = m.r_src[r]
    k = _key(m, m.w_key[w])
    return Anomaly(
        "read-your-writes", (m.w_op[w], m.r_op[r]),
        f"process {q!r} wrote {k}={show_value(m.w_value[w])} ({m.cite(m.w_op[w])}) and later "
        f"read {k} ({m.cite(m.r_op[r])}) getting {m.describe(s)}, which is definitely older: "
        f"{_older(m, s, w)}",
        {"process": q, "key": m.w_key[w], "write": m.w_op[w], "read": m.r_op[r]})


def _mr(m: CausalModel, q: Any, r0: int, r: int) -> Anomaly:
    s, s0 = m.r_src[r], m.r_src[r0]
    k = _key(m, m.r_key[r])
    return Anomaly(
        "monotonic-reads", (m.r_op[r0], m.r_op[r]),
        f"process {q!r} read {k} ({m.cite(m.r_op[r0])}) getting {m.describe(s0)}, then read {k} "
        f"again ({m.cite(m.r_op[r])}) getting {m.describe(s)}, which is definitely older: "
        f"{_older(m, s, s0)}",
        {"process": q, "key": m.r_key[r], "reads": [m.r_op[r0], m.r_op[r]]})


def _mw(m: CausalModel, a: int, via: int, r: int) -> Anomaly:
    b = m.r_src[via]
    s = m.r_src[r]
    p, q = m.w_proc[b], m.r_proc[r]
    kx, ky = _key(m, m.w_key[a]), _key(m, m.w_key[b])
    return Anomaly(
        "monotonic-writes", (m.w_op[a], m.w_op[b], m.r_op[via], m.r_op[r]),
        f"process {p!r} wrote {kx}={show_value(m.w_value[a])} ({m.cite(m.w_op[a])}) and then "
        f"{ky}={show_value(m.w_value[b])} ({m.cite(m.w_op[b])}); process {q!r} saw the second "
        f"write ({m.cite(m.r_op[via])}) but then read {kx} ({m.cite(m.r_op[r])}) getting "
        f"{m.describe(s)}, which is definitely older than the first: it saw an effect without "
        f"its cause ({_older(m, s, a)})",
        {"writer": p, "reader": q, "first_write": m.w_op[a], "second_write": m.w_op[b],
         "saw_second": m.r_op[via], "stale_read": m.r_op[r]})


def _wfr(m: CausalModel, ra: int, via: int, r: int) -> Anomaly:
    a = m.r_src[ra]
    b = m.r_src[via]
    s = m.r_src[r]
    p, q = m.w_proc[b], m.r_proc[r]
    kx, ky = _key(m, m.r_key[ra]), _key(m, m.w_key[b])
    return Anomaly(
        "writes-follow-reads", (m.r_op[ra], m.w_op[b], m.r_op[via], m.r_op[r]),
        f"process {p!r} read {kx} ({m.cite(m.r_op[ra])}) getting {m.describe(a)} and then wrote "
        f"{ky}={show_value(m.w_value[b])} ({m.cite(m.w_op[b])}); process {q!r} saw that write "
        f"({m.cite(m.r_op[via])}) but then read {kx} ({m.cite(m.r_op[r])}) getting "
        f"{m.describe(s)}, which is definitely older than what the writer had read "
        f"({_older(m, s, a) if a >= 0 else ''})",
        {"writer": p, "reader": q, "read_before_write": m.r_op[ra], "write": m.w_op[b],
         "saw_write": m.r_op[via], "stale_read": m.r_op[r]})
