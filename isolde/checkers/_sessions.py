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
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ._causal_model import INIT, NEG, READ, CausalModel, Findings
from ._causal_vc import MAX_CELLS, MIN_EVENTS, Events, KeyIds, flatten, key_ids
from ._result import Anomaly
from ._sessions_np import session_flags
from ._values import show_value

SESSION_TYPES = ("read-your-writes", "monotonic-reads", "monotonic-writes",
                 "writes-follow-reads")

# deps[p][k] = (max lo of all, [write positions], [prefix-max lo of p's writes of k], [the write
#               ids giving it], [read positions], [prefix-max lo of the values p read of k],
#               [the read ids giving it])
_Dep = tuple[int, list[int], list[int], list[int], list[int], list[int], list[int]]
_Deps = Mapping[Any, Mapping[Hashable, _Dep]]


def _dep(m: CausalModel, items: Iterable[tuple[int, int, int]]) -> _Dep:
    """One process's dependency columns on one key from its events of that key, ``(position,
    kind, id)`` in program order (reads of thin air or unplaced left out)."""
    r_src, w_lo = m.r_src, m.w_lo
    d: list[list[int]] = [[], [], [], [], [], []]
    for pos, kind, x in items:
        if kind == READ:
            s = r_src[x]
            lo, base = (w_lo[s] if s >= 0 else NEG), 3
        else:
            lo, base = w_lo[x], 0
        positions, los, ids = d[base], d[base + 1], d[base + 2]
        positions.append(pos)
        if los and los[-1] >= lo:
            los.append(los[-1])
            ids.append(ids[-1])
        else:
            los.append(lo)
            ids.append(x)
    return (max(d[1][-1] if d[1] else NEG, d[4][-1] if d[4] else NEG),
            d[0], d[1], d[2], d[3], d[4], d[5])


def _dep_indexes(m: CausalModel) -> dict[Any, dict[Hashable, _Dep]]:
    deps: dict[Any, dict[Hashable, _Dep]] = {}
    r_src, r_key, w_key = m.r_src, m.r_key, m.w_key
    for p, evs in m.events.items():
        by_key: dict[Hashable, list[tuple[int, int, int]]] = {}
        for pos, (kind, x) in enumerate(evs):
            if kind == READ:
                if r_src[x] < INIT:
                    continue
                k = r_key[x]
            else:
                k = w_key[x]
            items = by_key.get(k)
            if items is None:
                items = by_key[k] = []
            items.append((pos, kind, x))
        deps[p] = {k: _dep(m, items) for k, items in by_key.items()}
    return deps


def check_sessions(m: CausalModel, out: Findings,
                   judged: Callable[[int], bool] | None = None,
                   vectorised: bool | None = None) -> None:
    """All session-guarantee violations, at most one per type per read. With ``judged``, only
    reads it accepts (model read ids) are judged; the others still count as what their process
    saw (a session's guarantees cover everything it read, whatever mode the earlier reads
    asked for). ``vectorised`` picks numpy's decisions (:mod:`._sessions_np`) with this pass
    run only where the anomalies listed are, or this pass throughout (the same findings); by
    default numpy's for large histories."""
    if vectorised is None:
        n = len(m.w_key) + len(m.r_key)
        vectorised = n >= MIN_EVENTS and n * len(m.events) <= MAX_CELLS
    if vectorised and m.r_key and m.w_key:
        _replay_listed(m, out, judged)
        return
    deps = _dep_indexes(m)
    for q, evs in m.events.items():
        out.tick()
        _session(m, deps, q, evs, len(evs), out, judged)


def _replay_listed(m: CausalModel, out: Findings, judged: Callable[[int], bool] | None) -> None:
    """Every read judged by numpy; this pass replayed only for the processes (up to the read)
    holding the anomalies that will be listed, and the rest counted."""
    ev = flatten(m)
    kids = key_ids(m, every=True)
    found = session_flags(m, ev, kids, judged)
    need = np.zeros(len(found.reads), dtype=bool)
    for t, flags in found.flags.items():
        need[np.flatnonzero(flags)[:max(0, out.cap - out.counts.get(t, 0))]] = True
    at = ev.r_ev[found.reads[need]]
    stop = dict(zip(ev.proc[at].tolist(), (ev.pos[at] + 1).tolist(), strict=True))
    before = dict(out.counts)
    deps = _LazyDeps(m, ev, kids)
    for c, (q, evs) in enumerate(m.events.items()):
        if c in stop:
            out.tick()
            _session(m, deps, q, evs, stop[c], out, judged)
    for t, flags in found.flags.items():
        out.count(t, int(flags.sum()) - (out.counts.get(t, 0) - before.get(t, 0)))


class _LazyDeps(Mapping[Any, Mapping[Hashable, _Dep]]):
    """:func:`_dep_indexes` built only for the (process, key) pairs asked for."""

    def __init__(self, m: CausalModel, ev: Events, kids: KeyIds) -> None:
        self.m = m
        self.col = {p: c for c, p in enumerate(m.events)}
        self.ids, w_kid, r_kid = kids
        src = np.asarray(m.r_src, dtype=np.int64)
        reads = np.flatnonzero(src >= INIT)
        event = np.concatenate((ev.w_ev, ev.r_ev[reads]))
        key = np.concatenate((w_kid, r_kid[reads]))
        self.n_keys = len(self.ids)
        group = ev.proc[event] * self.n_keys + key
        order = np.lexsort((event, group))
        self.group = group[order]
        event = event[order]
        self.pos, self.kind, self.x = ev.pos[event], ev.kind[event], ev.ids[event]
        self.cache: dict[Any, _ProcDeps] = {}

    def __getitem__(self, p: Any) -> Mapping[Hashable, _Dep]:
        d = self.cache.get(p)
        if d is None:
            d = self.cache[p] = _ProcDeps(self, self.col[p])
        return d

    def __iter__(self) -> Iterator[Any]:
        return iter(self.col)

    def __len__(self) -> int:
        return len(self.col)

    def build(self, c: int, k: Hashable) -> _Dep:
        kid = self.ids.get(k)
        if kid is None:
            raise KeyError(k)
        g = c * self.n_keys + kid
        a, b = np.searchsorted(self.group, [g, g + 1]).tolist()
        if a == b:
            raise KeyError(k)
        return _dep(self.m, zip(self.pos[a:b].tolist(), self.kind[a:b].tolist(),
                                self.x[a:b].tolist(), strict=True))


class _ProcDeps(Mapping[Hashable, _Dep]):
    """One process's dependency columns, per key, built when first asked for."""

    def __init__(self, owner: _LazyDeps, c: int) -> None:
        self.owner, self.c = owner, c
        self.cache: dict[Hashable, _Dep] = {}

    def __getitem__(self, k: Hashable) -> _Dep:
        d = self.cache.get(k)
        if d is None:
            d = self.cache[k] = self.owner.build(self.c, k)
        return d

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.cache)

    def __len__(self) -> int:
        return len(self.cache)


def _session(m: CausalModel, deps: _Deps, q: Any, evs: list[tuple[int, int]], stop: int,
             out: Findings, judged: Callable[[int], bool] | None) -> None:
    """Process ``q``'s session guarantees over its first ``stop`` events."""
    r_src, r_key, w_lo, w_hi, w_key, w_pos, w_proc = (m.r_src, m.r_key, m.w_lo, m.w_hi,
                                                      m.w_key, m.w_pos, m.w_proc)
    ryw: dict[Hashable, int] = {}  # key -> q's write with the greatest lo
    mr: dict[Hashable, int] = {}  # key -> q's read whose value has the greatest lo
    # writer -> [pos, key, read, pos2, read2]: the furthest point of the writer's program q
    # read from (via read ``read`` of ``key``), and the furthest via any other key.
    srcs: dict[Any, list[Any]] = {}
    changes: list[Any] = []  # writers whose entry in srcs advanced, in order
    floors: dict[Hashable, list[int]] = {}  # key -> dependency floors (see _dependencies)
    for kind, x in evs[:stop]:
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
