"""The causal bad patterns' vector clocks with numpy: the same findings as the pure-Python walk
of :mod:`._causal_patterns`, in the same order, at a fraction of the cost on large histories.

The pure-Python walk visits events in a topological order of ``po | rf`` (each process runs
until it reads a write not yet visited) and merges one clock per event. Here:

- :func:`visit_order` replays only that walk's *schedule* (which process runs when), looking at
  the events that depend on another process's write, so findings can be listed in the order the
  walk finds them (the first 100 of each type are the ones built);
- :func:`clocks` computes every event's vector clock as a fixed point: per process, the running
  maximum (``np.maximum.accumulate``) of its own positions and the clocks of the writes it
  read, swept process by process until nothing changes (the number of sweeps is the longest
  chain of reads that carries news, about ten on a 1M-op history);
- :func:`read_findings` judges every read at once: for each process a read knows more of than
  its source does, the newest write of the key in the read's past is one ``searchsorted`` over
  all writes sorted by (key, process, position).

:func:`cf_rest` finds the writes between CF | CO cycles with scipy's strongly connected
components instead of two Kahn passes in Python.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
from numpy.typing import NDArray

from ._causal_model import INIT, MIN_EVENTS, CausalModel, flat_events

__all__ = [
    "MAX_CELLS",
    "MIN_EVENTS",
    "Events",
    "KeyIds",
    "ReadFindings",
    "Successors",
    "cf_rest",
    "clocks",
    "flatten",
    "key_ids",
    "read_findings",
    "visit_order",
]

# Clock cells (events x processes) the numpy path may hold: 4 bytes each, 160 MB at most.
MAX_CELLS = 40_000_000

Int = NDArray[np.int64]


@dataclass
class Events:
    """Every process's events in one flat array, process after process (``m.events`` order).

    ``kind``/``ids``: the event's kind (READ/WRITE) and read or write id; ``proc``: its
    process's column; ``pos``: its position in that process's program; ``starts[c]``: where
    column c's events begin; ``w_ev``/``r_ev``: each write's / read's event; ``dep``: the event
    of the write an event depends on (a read's source, an append's previous version), or -1.
    """

    kind: Int
    ids: Int
    proc: Int
    pos: Int
    starts: Int
    w_ev: Int
    r_ev: Int
    dep: Int


def flatten(m: CausalModel) -> Events:
    """The model's :class:`Events` (built once per model, shared by the checks)."""
    ev: Events | None = m.derived.get("events")
    if ev is None:
        ev = m.derived["events"] = _flatten(m)
    return ev


def _flatten(m: CausalModel) -> Events:
    kind, ids, proc, pos, starts = m.derived.get("flat") or flat_events(m.events)
    n = len(kind)
    is_w = kind == 1
    w_ev = np.full(len(m.w_key), -1, dtype=np.int64)
    w_ev[ids[is_w]] = np.flatnonzero(is_w)
    r_ev = np.full(len(m.r_key), -1, dtype=np.int64)
    r_ev[ids[~is_w]] = np.flatnonzero(~is_w)
    src = np.empty(n, dtype=np.int64)
    src[is_w] = np.asarray(m.w_prev, dtype=np.int64)[ids[is_w]]
    src[~is_w] = np.asarray(m.r_src, dtype=np.int64)[ids[~is_w]]
    dep = np.full(n, -1, dtype=np.int64)
    has = src >= 0
    dep[has] = w_ev[src[has]]
    return Events(kind, ids, proc, pos, starts, w_ev, r_ev, dep)


def visit_order(ev: Events) -> Int | None:
    """The events in the order the pure-Python walk visits them, or None if it gets stuck (the
    causal order is cyclic). Only events depending on another process's write can stop a
    process; a process stopped at a write's reader resumes once that write's process has run
    past it, queued behind the others woken before it (as the walk's deque does)."""
    n_procs = len(ev.starts) - 1
    has = np.flatnonzero(ev.dep >= 0)
    d = ev.dep[has]
    # A dependency on an earlier event of the same process never stops it.
    cross = has[(ev.proc[d] != ev.proc[has]) | (ev.pos[d] >= ev.pos[has])]
    dc = ev.dep[cross]
    # Per process (cross is in event order, so process by process): the positions of those
    # events, and the process and position of the write each waits for.
    cuts = np.searchsorted(cross, ev.starts).tolist()
    at, on, upto = ev.pos[cross].tolist(), ev.proc[dc].tolist(), ev.pos[dc].tolist()
    blocks = [(at[a:b], on[a:b], upto[a:b]) for a, b in pairwise(cuts)]
    length = np.diff(ev.starts).tolist()
    ptr = [0] * n_procs
    nxt = [0] * n_procs  # each process's next entry in blocks
    waiters: list[list[tuple[int, int, int]]] = [[] for _ in range(n_procs)]
    segments: list[tuple[int, int, int]] = []
    ready = deque(range(n_procs))
    seq = 0
    while ready:
        c = ready.popleft()
        (at, on, upto), k, end = blocks[c], nxt[c], length[c]
        while k < len(at):
            q, qp = on[k], upto[k]
            if ptr[q] <= qp:  # that write is not visited yet (q is not running: c is)
                end = at[k]
                heapq.heappush(waiters[q], (qp, seq, c))
                seq += 1
                break
            k += 1
        nxt[c] = k
        segments.append((c, ptr[c], end))
        ptr[c] = end
        woken = waiters[c]
        while woken and woken[0][0] < end:
            ready.append(heapq.heappop(woken)[2])
    if ptr != length:
        return None
    seg = np.array(segments, dtype=np.int64).reshape(-1, 3)
    first = ev.starts[seg[:, 0]] + seg[:, 1]
    sizes = seg[:, 2] - seg[:, 1]
    offsets = np.cumsum(sizes) - sizes
    return np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(first - offsets, sizes)


def clocks(ev: Events, tick: Callable[[], None]) -> NDArray[np.int32]:
    """Each event's vector clock (row): per process column, the last position of that process
    in the event's causal past (-1: none). Needs an acyclic causal order (:func:`visit_order`
    said so), else the sweeps would not end."""
    n_procs = len(ev.starts) - 1
    n = len(ev.kind)
    clock = np.full((n, n_procs), -1, dtype=np.int32)
    clock[np.arange(n), ev.proc] = ev.pos
    has = np.flatnonzero(ev.dep >= 0)
    spans = [(int(ev.starts[c]), int(ev.starts[c + 1])) for c in range(n_procs)]
    cuts = np.searchsorted(has, ev.starts)
    rows = [has[cuts[c]:cuts[c + 1]] for c in range(n_procs)]
    deps = [ev.dep[r] for r in rows]
    changed = True
    while changed:
        tick()
        changed = False
        for (a, b), r, d in zip(spans, rows, deps, strict=True):
            got, cur = clock[d], clock[r]
            if not (got > cur).any():
                continue
            changed = True
            clock[r] = np.maximum(cur, got)
            np.maximum.accumulate(clock[a:b], axis=0, out=clock[a:b])
    return clock


@dataclass
class ReadFindings:
    """What the reads show, in the walk's order: ``patterns`` are ``(type, ids)`` with type
    WriteCOInitRead (ids: the write, the read) or WriteCORead (the source, the newer write, the
    read); ``cf_edges`` are ``(write, source)``."""

    patterns: list[tuple[str, tuple[int, ...]]]
    cf_edges: list[tuple[int, int]]


def read_findings(m: CausalModel, ev: Events, clock: NDArray[np.int32],
                  order: Int) -> ReadFindings:
    """WriteCOInitRead, WriteCORead and CF edges of every read (the pure-Python ``on_read``)."""
    n_procs = len(ev.starts) - 1
    _ids, w_kid, r_kid = key_ids(m)
    rank = np.empty(len(ev.kind), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    # Writes sorted by (key, process column, position); group = key * n_procs + column.
    w_proc = ev.proc[ev.w_ev]
    w_pos = ev.pos[ev.w_ev]
    w_group = w_kid * n_procs + w_proc
    span = int(ev.pos.max(initial=0)) + 2
    codes = w_group * span + w_pos
    by_code = np.argsort(codes, kind="stable")
    codes = codes[by_code]
    src = np.asarray(m.r_src, dtype=np.int64)
    reads = np.flatnonzero((src >= INIT) & (r_kid >= 0))
    reads = reads[np.argsort(rank[ev.r_ev[reads]], kind="stable")]  # the walk's order
    init = reads[src[reads] == INIT]
    init_reads = _init_reads(ev, clock, rank, init, r_kid, codes, by_code, span, n_procs)
    reads = reads[src[reads] >= 0]
    s = src[reads]
    mine = clock[ev.r_ev[reads]]
    theirs = clock[ev.w_ev[s]]
    row, col = np.nonzero(mine > theirs)  # row-major: each read's columns in order
    group = r_kid[reads[row]] * n_procs + col
    at = np.searchsorted(codes, group * span + mine[row, col], side="right") - 1
    ok = (at >= 0) & (codes[np.maximum(at, 0)] // span == group)
    w = np.where(ok, by_code[np.maximum(at, 0)], -1)
    ok &= w != s[row]
    row, col, w = row[ok], col[ok], w[ok]
    sr = s[row]
    # s is in w's past: r read s although w, causally after s, is causally before r.
    co = w_pos[sr] <= clock[ev.w_ev[w], w_proc[sr]]
    # The first such column of each read ends its judging (the walk returns there).
    first_co = np.full(len(reads), np.iinfo(np.int64).max, dtype=np.int64)
    hit = np.flatnonzero(co)
    np.minimum.at(first_co, row[hit], hit)
    keep = np.arange(len(row)) < first_co[row]
    cf = keep & ~co & (w_pos[w] > theirs[row, col])  # w is not in s's past either
    first = np.unique(row[hit])
    k = first_co[first]
    co_reads = [(rk, "WriteCORead", ids) for rk, *ids in zip(
        rank[ev.r_ev[reads[first]]].tolist(), sr[k].tolist(), w[k].tolist(),
        reads[first].tolist(), strict=True)]
    patterns = sorted(init_reads + co_reads)  # a read's rank is its own: no ties
    cf_edges = list(zip(w[cf].tolist(), sr[cf].tolist(), strict=True))
    return ReadFindings([(t, tuple(ids)) for _rank, t, ids in patterns], cf_edges)


def _init_reads(ev: Events, clock: NDArray[np.int32], rank: Int, init: Int, r_kid: Int,
                codes: Int, by_code: Int, span: int,
                n_procs: int) -> list[tuple[int, str, list[int]]]:
    """Reads of the initial value with a write of their key in their past: (rank, type, [the
    first such process's first write of the key, the read])."""
    if not len(init):
        return []
    groups = r_kid[init][:, None] * n_procs + np.arange(n_procs)[None, :]
    at = np.searchsorted(codes, groups * span)  # each process's first write of the key
    safe = np.minimum(at, len(codes) - 1)
    exists = (at < len(codes)) & (codes[safe] // span == groups)
    seen = exists & (clock[ev.r_ev[init]] >= codes[safe] % span)
    which = np.flatnonzero(seen.any(axis=1))
    col = seen[which].argmax(axis=1)
    w = by_code[safe[which, col]]
    return [(rk, "WriteCOInitRead", ids) for rk, *ids in zip(
        rank[ev.r_ev[init[which]]].tolist(), w.tolist(), init[which].tolist(), strict=True)]


KeyIds = tuple[dict[Hashable, int], Int, Int]


def key_ids(m: CausalModel, every: bool = False) -> KeyIds:
    """Keys as small ints: the ids, the writes' and the reads' (a key nobody writes: -1, or an
    id of its own with ``every``). Built once per model: the written keys come first, so
    without ``every`` the ids are the same, less those of keys nobody writes."""
    got: KeyIds | None = m.derived.get("keys")
    if got is None:
        got = m.derived["keys"] = _key_ids(m)
    if every:
        return got
    ids, w_kid, r_kid = got
    n = int(w_kid.max(initial=-1)) + 1
    return ({k: i for k, i in ids.items() if i < n}, w_kid,
            np.where(r_kid < n, r_kid, -1))


def _key_ids(m: CausalModel) -> KeyIds:
    keys = dict.fromkeys(chain(m.w_key, m.r_key))
    ids = dict(zip(keys, range(len(keys)), strict=True))
    w_kid = np.fromiter(map(ids.__getitem__, m.w_key), dtype=np.int64, count=len(m.w_key))
    r_kid = np.fromiter(map(ids.__getitem__, m.r_key), dtype=np.int64, count=len(m.r_key))
    return ids, w_kid, r_kid


class Successors(Mapping[int, list[int]]):
    """Each write's successors in the CF | CO graph, in the order the pure-Python graph lists
    them, made into a list only when asked for (the cycle search visits few writes)."""

    def __init__(self, a: Int, b: Int, n: int) -> None:
        by_source = np.argsort(a, kind="stable")
        self.sources, self.targets = a[by_source], b[by_source]
        self.bounds = np.searchsorted(self.sources, np.arange(n + 1)).tolist()

    def __getitem__(self, v: int) -> list[int]:
        out: list[int] = self.targets[self.bounds[v]:self.bounds[v + 1]].tolist()
        return out

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.bounds) - 1))

    def __len__(self) -> int:
        return len(self.bounds) - 1


def cf_rest(m: CausalModel, ev: Events, cf_edges: set[tuple[int, int]]
            ) -> tuple[set[int], Successors, list[int]]:
    """The writes on CF | CO cycles or between them (on a path from one cycle to another: what
    Kahn's algorithm forwards and backwards leaves), every write's successors (CO edges
    process by process, then the CF edges in the set's order), and each write's first
    successor among the first (-1 outside them)."""
    from scipy.sparse.csgraph import connected_components

    co_a, co_b = _co_edges(m, ev)
    cf = np.fromiter(chain.from_iterable(cf_edges), dtype=np.int64,
                     count=2 * len(cf_edges)).reshape(-1, 2)
    a, b = np.concatenate((co_a, cf[:, 0])), np.concatenate((co_b, cf[:, 1]))
    n = len(m.w_key)
    succ = Successors(a, b, n)
    _n, label = connected_components(_graph(a, b, n), directed=True, connection="strong")
    cyclic = np.flatnonzero(np.bincount(label)[label] > 1)
    if not len(cyclic):
        return set(), succ, []
    inside = _reach(a, b, n, cyclic) & _reach(b, a, n, cyclic)
    within = np.flatnonzero(inside[succ.sources] & inside[succ.targets])
    nodes, at = np.unique(succ.sources[within], return_index=True)  # the first of each
    first = np.full(n, -1, dtype=np.int64)
    first[nodes] = succ.targets[within[at]]
    return set(np.flatnonzero(inside).tolist()), succ, first.tolist()


def _graph(a: Int, b: Int, n: int) -> object:
    from scipy.sparse import csr_matrix

    return csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))


def _reach(a: Int, b: Int, n: int, sources: Int) -> NDArray[np.bool_]:
    """Which of the ``n`` nodes the edges ``a -> b`` reach from ``sources`` (through a node
    added to point at them all)."""
    from scipy.sparse.csgraph import breadth_first_order

    hub = np.full(len(sources), n, dtype=np.int64)
    graph = _graph(np.concatenate((a, hub)), np.concatenate((b, sources)), n + 1)
    nodes = breadth_first_order(graph, n, directed=True, return_predecessors=False)
    out = np.zeros(n + 1, dtype=bool)
    out[nodes] = True
    return out[:n]


def _co_edges(m: CausalModel, ev: Events) -> tuple[Int, Int]:
    """CO edges between writes in the pure-Python graph's order: for each write, the previous
    write of its process, then the sources of the reads between the two, then the previous
    version of its list."""
    writes = np.flatnonzero(ev.kind == 1)
    x = ev.ids[writes]
    same = np.r_[False, ev.proc[writes[1:]] == ev.proc[writes[:-1]]]
    po_a = np.where(same, np.r_[-1, x[:-1]], -1)
    reads = np.flatnonzero(ev.kind == 0)
    s = np.asarray(m.r_src, dtype=np.int64)[ev.ids[reads]]
    nxt = np.searchsorted(writes, reads)  # the reader's next write, if in its process
    safe = np.minimum(nxt, max(len(writes) - 1, 0))
    has = (s >= 0) & (nxt < len(writes))
    if len(writes):
        has &= ev.proc[writes[safe]] == ev.proc[reads]
    prev = np.asarray(m.w_prev, dtype=np.int64)[x]
    # Sort keys: (the target write's event, 0 po / 1 a read's source / 2 previous version,
    # the read's event).
    a = np.concatenate((po_a, s[has], prev))
    b = np.concatenate((x, x[safe[has]], x))
    major = np.concatenate((writes, writes[safe[has]], writes))
    minor = np.concatenate((np.zeros(len(x), np.int64), np.ones(int(has.sum()), np.int64),
                            np.full(len(x), 2, np.int64)))
    third = np.concatenate((np.zeros(len(x), np.int64), reads[has], np.zeros(len(x), np.int64)))
    keep = a >= 0
    order = np.lexsort((third[keep], minor[keep], major[keep]))
    return a[keep][order], b[keep][order]
