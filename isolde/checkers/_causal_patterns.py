"""Causal consistency bad patterns (Bouajjani, Enea, Guerraoui, Hamza, POPL 2017).

On a differentiated history (unique written values, so reads-from ``rf`` is known), with program
order ``po`` per process and causal order ``CO = (po | rf)+``:

- **CyclicCO**: CO is cyclic;
- **WriteCOInitRead**: a read of x returns the initial value although a write of x is CO-before it;
- **ThinAirRead**: a read returns a value no write produced;
- **WriteCORead**: a read r of x reads from w1 although another write w2 of x has
  w1 CO w2 CO r (r should have seen w2 or something newer);
- **CyclicCF** (causal convergence): with w1 CF w2 when both write x and some read of x reads
  from w2 while w1 is CO-before it, CF | CO is cyclic (no single order of the writes explains
  every read).

A history is causally consistent (CC) iff it has none of the first four; convergent (CCv)
additionally needs no CyclicCF. The causal past of each event is a vector clock over processes
(past events of each process form a prefix of its program), computed in a topological order of
``po | rf``; cost O(events · P) for P processes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from itertools import compress, repeat
from operator import eq, gt
from typing import Any

from ._causal_model import INIT, READ, THIN, WRITE, CausalModel, Findings
from ._causal_vc import MAX_CELLS, MIN_EVENTS, cf_rest, clocks, flatten, read_findings, visit_order
from ._result import Anomaly
from ._values import show_value

CC_TYPES = ("CyclicCO", "WriteCOInitRead", "ThinAirRead", "WriteCORead", "CyclicCF")
MAX_CF_CYCLES = 20


def check_thin_air(m: CausalModel, out: Findings) -> None:
    """ThinAirRead: each read whose value no write produced."""
    for r in compress(range(len(m.r_src)), map(eq, m.r_src, repeat(THIN))):  # found in C
        out.add("ThinAirRead", _thin_air, m, r)


def check_patterns(m: CausalModel, out: Findings, max_vc_cells: int = 60_000_000,
                   vectorised: bool | None = None) -> list[str]:
    """Adds the CO-based bad patterns found to ``out`` (ThinAirRead is :func:`check_thin_air`);
    returns notes on what was not checked. Gives up
    on the vector-clock patterns (with a note) when ``processes x writes`` exceeds
    ``max_vc_cells``. ``vectorised`` picks numpy's path or the pure-Python walk (same findings,
    same order); by default numpy's for large histories whose clocks fit in memory."""
    notes: list[str] = []
    procs = list(m.events)
    if len(procs) * max(1, len(m.w_key)) > max_vc_cells:
        notes.append(f"causal patterns skipped: {len(procs)} processes x {len(m.w_key)} writes "
                     "exceeds the vector-clock budget")
        return notes
    if vectorised is None:
        n = len(m.w_key) + len(m.r_key)
        vectorised = n >= MIN_EVENTS and n * len(procs) <= MAX_CELLS
    if vectorised and m.w_key and m.r_key and _numpy_patterns(m, out):
        return notes
    return _walk_patterns(m, out, procs, notes)


def _numpy_patterns(m: CausalModel, out: Findings) -> bool:
    """:func:`_walk_patterns` with numpy (:mod:`._causal_vc`); False, having found nothing,
    when the causal order is cyclic (the walk then says where)."""
    ev = flatten(m)
    order = visit_order(ev)
    if order is None:
        return False
    found = read_findings(m, ev, clocks(ev, out.tick), order)
    for t, ids in found.patterns:
        out.add(t, _init_read if t == "WriteCOInitRead" else _co_read, m, *ids)
    cf_edges = set(found.cf_edges)
    if cf_edges:
        rest, succ, first = cf_rest(m, ev, cf_edges)
        for cyc in _some_cycles(rest, succ, MAX_CF_CYCLES, first.__getitem__):
            out.add("CyclicCF", lambda a: a, _cf_anomaly(m, cyc, cf_edges))
    return True


def _walk_patterns(m: CausalModel, out: Findings, procs: list[Any],
                   notes: list[str]) -> list[str]:
    """The bad patterns by walking the events in Python, one vector clock merge at a time."""
    col = {p: i for i, p in enumerate(procs)}
    # writers[x] = [(column of p, positions, write ids) of p's writes of x in program order]
    by_key: dict[Hashable, dict[Any, tuple[int, list[int], list[int]]]] = {}
    for p, evs in m.events.items():
        c = col[p]
        for pos, (kind, x) in enumerate(evs):
            if kind == WRITE:
                per = by_key.get(m.w_key[x])
                if per is None:
                    per = by_key[m.w_key[x]] = {}
                ent = per.get(p)
                if ent is None:
                    ent = per[p] = (c, [], [])
                ent[1].append(pos)
                ent[2].append(x)
    # writers[x] = {column of p: (positions, write ids)}
    writers = {k: {c: (pos, ids) for c, pos, ids in per.values()} for k, per in by_key.items()}
    columns = range(len(procs))
    n_w = len(m.w_key)
    vc: list[list[int] | None] = [None] * n_w
    cf_edges: set[tuple[int, int]] = set()
    w_col = [col[p] for p in m.w_proc]
    w_pos = m.w_pos
    n = len(procs)

    def in_past(w: int, clock: list[int]) -> bool:
        return w_pos[w] <= clock[w_col[w]]

    def on_read(r: int, clock: list[int]) -> None:
        if not r & 4095:
            out.tick()
        s = m.r_src[r]
        if s < INIT:
            return
        ws = writers.get(m.r_key[r])
        if not ws:
            return
        if s == INIT:
            for c, (positions, ids) in ws.items():
                if clock[c] >= positions[0]:
                    out.add("WriteCOInitRead", _init_read, m, ids[0], r)
                    return
            return
        vs = vc[s]
        assert vs is not None
        # Only the processes r knows more of than s does can hold a write of x in r's past that
        # is not in s's past (found in C: usually a few columns of many).
        for c in compress(columns, map(gt, clock, vs)):
            e = ws.get(c)
            if e is None:
                continue
            positions, ids = e
            bound = clock[c]
            if bound < positions[0]:
                continue
            w = ids[bisect_right(positions, bound) - 1]  # p's newest write of x in r's past
            if w == s:
                continue
            vw = vc[w]
            assert vw is not None
            if in_past(s, vw):
                out.add("WriteCORead", _co_read, m, s, w, r)
                return
            if not in_past(w, vs):
                cf_edges.add((w, s))  # w CF s, and they are CO-concurrent

    blocked = _propagate(m, procs, col, n, vc, on_read)
    if blocked:
        out.add("CyclicCO", _cyclic_co, m, blocked)
        notes.append("CyclicCF not checked: the causal order itself is cyclic")
        return notes
    for a in _cf_cycles(m, cf_edges):
        out.add("CyclicCF", lambda a: a, a)
    return notes


def _propagate(m: CausalModel, procs: list[Any], col: dict[Any, int], n: int,
               vc: list[list[int] | None], on_read: Any) -> dict[Any, tuple[int, int]]:
    """Vector clocks of writes in a topological order of po | rf (| the append chain); calls
    ``on_read(r, clock)`` for each read with its causal past. Returns the processes left
    blocked by a cycle: process -> (event position, write it waits for)."""
    ptr = dict.fromkeys(procs, 0)
    clocks = {p: [-1] * n for p in procs}
    waiting: dict[int, list[Any]] = {}
    ready = deque(procs)
    r_src, w_prev = m.r_src, m.w_prev
    while ready:
        p = ready.popleft()
        evs = m.events[p]
        i = ptr[p]
        clock = clocks[p]
        c = col[p]
        while i < len(evs):
            kind, x = evs[i]
            dep = r_src[x] if kind == READ else w_prev[x]
            if dep >= 0:
                dv = vc[dep]
                if dv is None:
                    waiting.setdefault(dep, []).append(p)
                    break
                if dv != clock:
                    clock[:] = map(max, clock, dv)
            clock[c] = i
            if kind == READ:
                on_read(x, clock)
            else:
                vc[x] = clock[:]
                for q in waiting.pop(x, ()):
                    ready.append(q)
            i += 1
        ptr[p] = i
    blocked = {}
    for p in procs:
        if ptr[p] < len(m.events[p]):
            kind, x = m.events[p][ptr[p]]
            blocked[p] = (ptr[p], r_src[x] if kind == READ else w_prev[x])
    return blocked


def _kv(m: CausalModel, k: Hashable, v: Any) -> str:
    return f"{show_value(v)}" if k is None else f"{show_value(k)}={show_value(v)}"


def _thin_air(m: CausalModel, r: int) -> Anomaly:
    return Anomaly(
        "ThinAirRead", (m.r_op[r],),
        f"{m.cite(m.r_op[r])} (process {m.r_proc[r]!r}) read {_kv(m, m.r_key[r], m.r_value[r])}"
        ", a value no write produced",
        {"process": m.r_proc[r], "key": m.r_key[r], "value": m.r_value[r]})


def _init_read(m: CausalModel, w: int, r: int) -> Anomaly:
    return Anomaly(
        "WriteCOInitRead", (m.w_op[w], m.r_op[r]),
        f"{m.cite(m.r_op[r])} (process {m.r_proc[r]!r}) read the initial value of "
        f"{show_value(m.r_key[r])} although the write {_kv(m, m.w_key[w], m.w_value[w])} "
        f"({m.cite(m.w_op[w])}) is causally before it (through program order and reads)",
        {"write": m.w_op[w], "read": m.r_op[r], "key": m.r_key[r]})


def _co_read(m: CausalModel, w1: int, w2: int, r: int) -> Anomaly:
    return Anomaly(
        "WriteCORead", (m.w_op[w1], m.w_op[w2], m.r_op[r]),
        f"{m.cite(m.r_op[r])} (process {m.r_proc[r]!r}) read "
        f"{_kv(m, m.w_key[w1], m.w_value[w1])} ({m.cite(m.w_op[w1])}) although the newer write "
        f"{_kv(m, m.w_key[w2], m.w_value[w2])} ({m.cite(m.w_op[w2])}) is causally after that write "
        "and causally before the read",
        {"read_from": m.w_op[w1], "overwritten_by": m.w_op[w2], "read": m.r_op[r]})


def _cyclic_co(m: CausalModel, blocked: dict[Any, tuple[int, int]]) -> Anomaly:
    """Follow 'waits for a write of a process that is itself blocked' until a process repeats."""
    seen: dict[Any, int] = {}
    chain: list[Any] = []
    p = next(iter(blocked))
    while p not in seen:
        seen[p] = len(chain)
        chain.append(p)
        _, dep = blocked[p]
        p = m.w_proc[dep]
    cycle = chain[seen[p]:]
    ops: list[int] = []
    steps = []
    for q in cycle:
        pos, dep = blocked[q]
        kind, x = m.events[q][pos]
        op = m.r_op[x] if kind == READ else m.w_op[x]
        ops.extend([m.w_op[dep], op])
        steps.append(f"{m.cite(op)} (process {q!r}) depends on {m.cite(m.w_op[dep])}")
    return Anomaly(
        "CyclicCO", tuple(dict.fromkeys(ops)),
        "the causal order (program order and reads-from) is cyclic: " + "; ".join(steps)
        + ", each of which comes later in its own process's program",
        {"processes": cycle})


def _cf_cycles(m: CausalModel, cf_edges: set[tuple[int, int]]) -> list[Anomaly]:
    """Cycles of CF | CO on writes. CO between writes is generated by po between a process's
    consecutive writes, rf;po (a read's source -> the reader's next write) and the append
    chain; Kahn's algorithm (forwards, then backwards) leaves the writes between cycles, in
    which cycles are found by walking."""
    if not cf_edges:
        return []
    n = len(m.w_key)
    succ: list[list[int]] = [[] for _ in range(n)]
    for evs in m.events.values():
        pending: list[int] = []  # sources read since the process's last write
        last = -1
        for kind, x in evs:
            if kind == READ:
                s = m.r_src[x]
                if s >= 0:
                    pending.append(s)
            else:
                if last >= 0:
                    succ[last].append(x)
                for s in pending:
                    succ[s].append(x)
                pending = []
                last = x
                if m.w_prev[x] >= 0:
                    succ[m.w_prev[x]].append(x)
    for a, b in cf_edges:
        succ[a].append(b)
    indeg = [0] * n
    for a in range(n):
        for b in succ[a]:
            indeg[b] += 1
    queue = deque(i for i in range(n) if indeg[i] == 0)
    while queue:
        a = queue.popleft()
        for b in succ[a]:
            indeg[b] -= 1
            if indeg[b] == 0:
                queue.append(b)
    # Left: writes on cycles or after them. Trim those that reach no cycle (out-degree 0 in
    # what is left, repeatedly), so the SCC search sees little more than the cycles.
    rest = {i for i in range(n) if indeg[i] > 0}
    pred: dict[int, list[int]] = {i: [] for i in rest}
    outdeg = dict.fromkeys(rest, 0)
    for a in rest:
        for b in succ[a]:
            if b in rest:
                pred[b].append(a)
                outdeg[a] += 1
    queue = deque(i for i in rest if outdeg[i] == 0)
    while queue:
        b = queue.popleft()
        rest.discard(b)
        for a in pred[b]:
            outdeg[a] -= 1
            if outdeg[a] == 0:
                queue.append(a)
    return [_cf_anomaly(m, cyc, cf_edges) for cyc in _some_cycles(rest, succ, MAX_CF_CYCLES)]


def _some_cycles(rest: set[int], succ: list[list[int]] | Mapping[int, list[int]],
                 limit: int, step: Callable[[int], int] | None = None) -> list[list[int]]:
    """Up to ``limit`` cycles in the subgraph on ``rest``, where every node has a successor in
    ``rest``: walk successors until a node repeats (O(walk) per cycle, however large the
    cyclic region), then shorten each cycle with a BFS over its own nodes. ``step(v)`` is v's
    first successor in ``rest`` (found in ``succ`` when not given)."""
    if step is None:
        def step(v: int) -> int:
            return next(b for b in succ[v] if b in rest)

    used: set[int] = set()
    out: list[list[int]] = []
    for start in sorted(rest):
        if len(out) >= limit:
            break
        if start in used:
            continue
        seen: dict[int, int] = {}
        path: list[int] = []
        v = start
        while v not in seen and v not in used:
            seen[v] = len(path)
            path.append(v)
            v = step(v)
        used.update(path)
        if v in seen:
            cyc = path[seen[v]:]
            out.append(_cycle_in(cyc, succ) or cyc)
    return out


def _cycle_in(comp: list[int], succ: list[list[int]] | Mapping[int, list[int]]) -> list[int]:
    """A shortest cycle through ``comp[0]`` using only the nodes of ``comp`` (BFS)."""
    members = set(comp)
    start = comp[0]
    parent: dict[int, int] = {}
    queue = deque([start])
    while queue:
        a = queue.popleft()
        for b in succ[a]:
            if b not in members:
                continue
            if b == start:
                path = [a]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if b not in parent:
                parent[b] = a
                queue.append(b)
    return []


def _cf_anomaly(m: CausalModel, cyc: list[int], cf: set[tuple[int, int]]) -> Anomaly:
    steps = []
    for i, a in enumerate(cyc):
        b = cyc[(i + 1) % len(cyc)]
        rel = "CF" if (a, b) in cf else "CO"
        steps.append(f"{_kv(m, m.w_key[a], m.w_value[a])} ({m.cite(m.w_op[a])}) -{rel}-> "
                     f"{_kv(m, m.w_key[b], m.w_value[b])} ({m.cite(m.w_op[b])})")
    return Anomaly(
        "CyclicCF", tuple(m.w_op[w] for w in cyc),
        "no single order of the writes explains every read (causal convergence fails): "
        + "; ".join(steps) + ". A -CF-> B: some read returned B although A was causally "
        "before it, so B must be ordered after A; -CO-> is causal order",
        {"writes": [m.w_op[w] for w in cyc]})
