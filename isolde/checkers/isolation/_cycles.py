"""Cycle search inside one strongly connected component, by anomaly spec, within a budget.

A spec names the edge kinds a cycle may use, the kind one edge must have (the *seed*), and how
many rw (anti-dependency) edges it must contain. For each seed edge a -> b the search is a
breadth-first search from b back to a over states (node, rw edges so far, capped), so the cycle
found is a shortest one of its kind through that seed. Seeds whose ends lie in different
components of the spec's own subgraph cannot close a cycle and are skipped without a search.
Every found cycle is named by what it contains (:func:`classify`), never by the spec that found
it, so a name is always true of its cycle.

The search is exact (finds a cycle whenever one exists) when it runs in one rw layer: G0, G1c,
their variants, and G-single. Where the rw count or the seed must change along the way
(G-single-process / -realtime, G2-item and its variants) the shortest walk can revisit a node;
it is cut down to a simple cycle and kept only if that still meets the spec, so those searches
are sound but may miss a cycle that only a longer path would show.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from ._anomaly import (
    DATA,
    PROCESSISH,
    REALTIMEISH,
    RW,
    RWISH,
    WR,
    WW,
    Step,
)
from ._scc import tarjan

INF = 1 << 30


@dataclass(frozen=True)
class Spec:
    name: str
    allowed: int  # kinds a cycle may use
    seed: int  # kinds of which one edge must have one
    rw_min: int = 0
    rw_max: int = 0


def _variants(base: str, allowed: int, seed: int, rw_min: int, rw_max: int) -> list[Spec]:
    return [
        Spec(base, allowed, seed, rw_min, rw_max),
        Spec(f"{base}-process", allowed | PROCESSISH, PROCESSISH, rw_min, rw_max),
        Spec(f"{base}-realtime", allowed | PROCESSISH | REALTIMEISH, REALTIMEISH, rw_min, rw_max),
    ]


SPECS: list[Spec] = [
    *_variants("G0", WW, WW, 0, 0),
    *_variants("G1c", WW | WR, WR, 0, 0),
    *_variants("G-single", DATA, RW, 1, 1),
    *_variants("G2-item", DATA, RW, 2, INF),
]
CYCLE_TYPES = tuple(s.name for s in SPECS)


def classify(steps: list[Step]) -> str:
    """Elle's name for a cycle: by its rw count and wr edges, suffixed by the strongest of
    realtime / process edges it needs."""
    kinds = [s.kind for s in steps]
    rw = sum(1 for k in kinds if k & RWISH)
    base = "G2-item" if rw >= 2 else "G-single" if rw == 1 else "G1c" if WR in kinds else "G0"
    if any(k & REALTIMEISH for k in kinds):
        return f"{base}-realtime"
    if any(k & PROCESSISH for k in kinds):
        return f"{base}-process"
    return base


class BudgetExceeded(Exception):
    """The search used up its step budget or passed its deadline."""


@dataclass
class Budget:
    steps: int
    deadline: float | None = None  # time.monotonic() value

    def spend(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise BudgetExceeded("step budget")
        if self.deadline is not None and (self.steps & 1023) == 0 \
                and time.monotonic() > self.deadline:
            raise BudgetExceeded("time limit")


def _lowest_bit(mask: int) -> int:
    return mask & -mask


def _sub_labels(adj: dict[int, dict[int, int]], allowed: int) -> dict[int, int]:
    """Component of each node in the subgraph of ``allowed`` kinds (node -> label)."""
    nodes = sorted(set(adj) | {b for row in adj.values() for b in row})
    local = {v: i for i, v in enumerate(nodes)}
    src: list[int] = []
    dst: list[int] = []
    for a, row in adj.items():
        for b, m in row.items():
            if m & allowed:
                src.append(local[a])
                dst.append(local[b])
    labels = tarjan(len(nodes), src, dst)
    return {v: labels[i] for v, i in local.items()}


def find_cycle(adj: dict[int, dict[int, int]], spec: Spec, budget: Budget) -> list[Step] | None:
    """A cycle in ``adj`` (a -> {b: kinds}) meeting ``spec``, or None; BudgetExceeded if the
    budget runs out first."""
    labels = _sub_labels(adj, spec.allowed)
    cap = min(spec.rw_min, 2) if spec.rw_max >= INF else spec.rw_max
    for a in sorted(adj):
        for b, m in sorted(adj[a].items()):
            if not m & spec.seed or labels[a] != labels[b]:
                continue
            for seed in _bits(m & spec.seed):
                rw0 = 1 if seed & RWISH else 0
                if rw0 > spec.rw_max:
                    continue
                path = _search(adj, spec, b, a, rw0, cap, budget)
                if path is None:
                    continue
                cycle = simple_cycle([Step(a, b, seed), *path])
                if satisfies(cycle, spec):
                    return cycle
    return None


def _bits(mask: int) -> list[int]:
    return [1 << i for i in range(mask.bit_length()) if mask >> i & 1]


def satisfies(steps: list[Step], spec: Spec) -> bool:
    kinds = [s.kind for s in steps]
    rw = sum(1 for k in kinds if k & RWISH)
    return (all(k & spec.allowed for k in kinds) and any(k & spec.seed for k in kinds)
            and spec.rw_min <= rw <= spec.rw_max)


def simple_cycle(steps: list[Step]) -> list[Step]:
    """The closed walk ``steps`` with any inner loops cut out (a node visited in two rw-count
    layers makes the search's walk revisit it), keeping the first step."""
    out: list[Step] = []
    at: dict[int, int] = {}  # node -> position in out of the step leaving it
    for s in steps:
        if s.a in at and at[s.a] > 0:
            del out[at[s.a]:]
            at = {st.a: i for i, st in enumerate(out)}
        at[s.a] = len(out)
        out.append(s)
    return out


def _search(adj: dict[int, dict[int, int]], spec: Spec, start: int, goal: int, rw0: int,
            cap: int, budget: Budget) -> list[Step] | None:
    """Shortest path start -> goal over ``spec.allowed`` whose rw count (plus ``rw0``) lands in
    [rw_min, rw_max]; counts are tracked up to ``cap`` (beyond it only "at least" matters)."""
    allowed, rw_max = spec.allowed, spec.rw_max
    non_rw = allowed & ~RWISH
    rwish = allowed & RWISH
    first = (start, min(rw0, cap))
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {first: None}
    queue = deque([first])
    while queue:
        state = queue.popleft()
        u, c = state
        if u == goal:
            if c >= spec.rw_min:  # (c <= rw_max holds: transitions never exceed it)
                return _unwind(parent, state)
            continue  # never walk on through the goal: the cycle would not be simple
        budget.spend()
        for w, m in adj.get(u, {}).items():
            usable = m & allowed
            if not usable:
                continue
            if usable & non_rw:
                nxt = (w, c)
                if nxt not in parent:
                    parent[nxt] = (state, _lowest_bit(usable & non_rw))
                    queue.append(nxt)
            if usable & rwish and c + 1 <= rw_max:
                nxt = (w, min(c + 1, cap))
                if nxt not in parent:
                    parent[nxt] = (state, _lowest_bit(usable & rwish))
                    queue.append(nxt)
    return None


def _unwind(parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None],
            state: tuple[int, int]) -> list[Step]:
    steps: list[Step] = []
    cur = parent[state]
    while cur is not None:
        prev, kind = cur
        steps.append(Step(prev[0], state[0], kind))
        state = prev
        cur = parent[state]
    steps.reverse()
    return steps
