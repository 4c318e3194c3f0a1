"""The dependency graph over transactions: edges as three parallel columns (no per-edge objects),
plus the process and realtime orders. Data edges (ww / wr / rw) come from the datatype's
inference (:mod:`._append_infer`, :mod:`._register_infer`)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

from ...histories import FAIL, INVOKE, OK, History
from ._anomaly import PROCESS, REALTIME
from ._txns import Txns


class Graph:
    """A directed multigraph on transactions ``0..n-1``; ``kind[i]`` is a bit of ._anomaly."""

    __slots__ = ("dst", "kind", "n", "src")

    def __init__(self, n: int) -> None:
        self.n = n
        self.src = array("l")
        self.dst = array("l")
        self.kind = bytearray()

    def __len__(self) -> int:
        return len(self.kind)

    def add(self, a: int, b: int, kind: int) -> None:
        self.src.append(a)
        self.dst.append(b)
        self.kind.append(kind)

    def adjacency(self, nodes: set[int] | None = None) -> dict[int, dict[int, int]]:
        """a -> {b: mask of kinds}, keeping only edges with both ends in ``nodes`` (if given)."""
        out: dict[int, dict[int, int]] = {}
        for a, b, k in zip(self.src, self.dst, self.kind, strict=True):
            if nodes is not None and (a not in nodes or b not in nodes):
                continue
            row = out.get(a)
            if row is None:
                out[a] = row = {}
            row[b] = row.get(b, 0) | k
        return out

    def edges_within(self, labels: Any, big: Iterable[int]) -> dict[int, list[int]]:
        """Edge indices whose ends share a component label in ``big``, per label."""
        keep = set(big)
        out: dict[int, list[int]] = {}
        if not keep:
            return out
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is a dependency; pure fallback
            for i, (a, b) in enumerate(zip(self.src, self.dst, strict=True)):
                la = labels[a]
                if la == labels[b] and la in keep:
                    out.setdefault(la, []).append(i)
            return out
        lab = np.asarray(labels)
        src = np.frombuffer(self.src, dtype=np.int64) if self.src.itemsize == 8 else \
            np.asarray(self.src, dtype=np.int64)
        dst = np.frombuffer(self.dst, dtype=np.int64) if self.dst.itemsize == 8 else \
            np.asarray(self.dst, dtype=np.int64)
        ls, ld = lab[src], lab[dst]
        idx = np.nonzero((ls == ld) & np.isin(ls, np.fromiter(keep, dtype=lab.dtype)))[0]
        for i, la in zip(idx.tolist(), ls[idx].tolist(), strict=True):
            out.setdefault(la, []).append(i)
        return out


def process_edges(g: Graph, txns: Txns) -> None:
    """Successive committed (ok or info) transactions of one process."""
    last: dict[Any, int] = {}
    status, procs = txns.status, txns.process
    for t in range(len(status)):
        if status[t] == FAIL:
            continue
        p = procs[t]
        prev = last.get(p)
        if prev is not None:
            g.add(prev, t, PROCESS)
        last[p] = t


def realtime_edges(g: Graph, txns: Txns, history: History) -> None:
    """T1 -> T2 when T1 completed ok before T2 was invoked, as a transitive reduction.

    Sweep the history keeping the *frontier*: completed transactions no later-completed one is
    known to follow. An invocation gets an edge from each frontier member; a completion replaces,
    in the frontier, the members its invocation saw (they reach later ones through it). So each
    transaction gets at most about ``concurrency`` incoming edges, not O(n).
    """
    n_ops = len(history)
    who = array("l", [-1]) * n_ops
    for t in range(len(txns)):
        if txns.status[t] == FAIL:
            continue
        who[txns.invoke[t]] = t
        c = txns.complete[t]
        if c >= 0 and txns.status[t] == OK:
            who[c] = t
    types = history.types
    frontier: set[int] = set()
    preds: dict[int, tuple[int, ...]] = {}
    add_src, add_dst, add_kind = g.src.append, g.dst.append, g.kind.append
    for i in range(n_ops):
        t = who[i]
        if t < 0:
            continue
        if types[i] == INVOKE:
            if frontier:
                p = tuple(frontier)
                preds[t] = p
                for a in p:
                    add_src(a)
                    add_dst(t)
                    add_kind(REALTIME)
        else:
            p = preds.pop(t, ())
            if p:
                frontier.difference_update(p)
            frontier.add(t)
