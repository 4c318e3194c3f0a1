"""The events the causal checker reasons about, built from register or list-append histories.

Each process's ok (or possibly-happened) ops become events in program order: reads of a key
(reading from one write, from the initial value, or from nothing: thin air) and writes. Every
write carries an interval ``(lo, hi)`` such that u is **definitely older** than v iff
``hi(u) < lo(v)``: for registers ``lo`` is the write's invocation time and ``hi`` its completion
time (real time; docs/causal.md, "The order of versions"); for list-append both are the value's
position in the key's version order (an exact order). The initial value is older than
everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..histories import FAIL, INVOKE, NEMESIS, OK, History, cite_position
from ._registers import INIT, NEG, POS, THIN, RegisterView, hashable
from ._result import Anomaly
from ._values import show_value

__all__ = ["INIT", "MIN_EVENTS", "NEG", "POS", "READ", "THIN", "UNPLACED", "WRITE",
           "CausalModel", "Findings", "OutOfTime", "flat_events", "from_list_append",
           "from_registers", "is_list_append"]

READ, WRITE = 0, 1
UNPLACED = -3  # a read whose list is not a prefix of the version order: not placed
# Below this many events the pure-Python passes are as fast (numpy's per-call cost dominates).
MIN_EVENTS = 4096

Int = NDArray[np.int64]


class OutOfTime(Exception):
    """The check's time budget ran out (the checker then answers "unknown")."""


class Findings:
    """Anomalies counted per type; only the first ``cap`` of each type are built (explanations
    cost more than finding them, and a broken store can produce hundreds of thousands).
    ``tick()`` raises OutOfTime once ``deadline`` (a ``time.monotonic()`` instant) has passed."""

    def __init__(self, cap: int = 100, deadline: float | None = None) -> None:
        self.cap = cap
        self.counts: dict[str, int] = {}
        self.listed: list[Anomaly] = []
        self.deadline = deadline

    def tick(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime

    def add(self, type: str, build: Callable[..., Anomaly], *args: Any) -> None:
        n = self.counts[type] = self.counts.get(type, 0) + 1
        if n <= self.cap:
            self.listed.append(build(*args))

    def count(self, type: str, n: int) -> None:
        """``n`` more of ``type`` found beyond those already listed (counted, not built)."""
        if n:
            self.counts[type] = self.counts.get(type, 0) + n


@dataclass
class CausalModel:
    """Writes ``w_*`` and reads ``r_*`` as columns; ``events[p]`` in program order.

    ``w_prev[w]`` is a write that ``w`` implicitly read (the previous version of a list that an
    append extended), or -1. ``w_pos``/``r_pos`` are each event's position in its process's
    events. ``exact`` says whether ``lo``/``hi`` come from an exact version order.
    """

    exact: bool = False
    # How explanations name a history index: the file's own index and line (History.cite).
    cite: Callable[[int], str] = field(default=cite_position)
    w_key: list[Hashable] = field(default_factory=list)
    w_value: list[Any] = field(default_factory=list)
    w_lo: list[int] = field(default_factory=list)
    w_hi: list[int] = field(default_factory=list)
    w_op: list[int] = field(default_factory=list)
    w_proc: list[Any] = field(default_factory=list)
    w_prev: list[int] = field(default_factory=list)
    w_pos: list[int] = field(default_factory=list)
    r_key: list[Hashable] = field(default_factory=list)
    r_value: list[Any] = field(default_factory=list)
    r_src: list[int] = field(default_factory=list)
    r_op: list[int] = field(default_factory=list)
    r_proc: list[Any] = field(default_factory=list)
    r_pos: list[int] = field(default_factory=list)
    events: dict[Any, list[tuple[int, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    incompatible: list[tuple[Hashable, int, int]] = field(default_factory=list)
    # Columns derived from the events by the numpy checks (:mod:`._causal_vc`), kept so that
    # the session and pattern checks build them once (a model is not changed once built).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def lo(self, src: int) -> int:
        return NEG if src == INIT else self.w_lo[src]

    def hi(self, src: int) -> int:
        return NEG if src == INIT else self.w_hi[src]

    def describe(self, src: int) -> str:
        """How a read's source reads in an explanation."""
        if src == INIT:
            return "the initial (absent) value"
        v = self.w_value[src]
        return f"{show_value(v)} (written by {self.cite(self.w_op[src])})"

    def _finish(self) -> None:
        """Each event's position in its process's program: with numpy for large models (whose
        flattened events :mod:`._causal_vc` then reuses), else in Python."""
        if len(self.w_key) + len(self.r_key) >= MIN_EVENTS:
            self._finish_flat()
            return
        w_pos = [0] * len(self.w_key)
        r_pos = [0] * len(self.r_key)
        for evs in self.events.values():
            for i, (kind, x) in enumerate(evs):
                if kind == WRITE:
                    w_pos[x] = i
                else:
                    r_pos[x] = i
        self.w_pos, self.r_pos = w_pos, r_pos

    def _finish_flat(self) -> None:
        kind, ids, _, pos, _ = self.derived["flat"] = flat_events(self.events)
        is_w = kind == WRITE
        at = np.zeros(len(self.w_key), dtype=np.int64)
        at[ids[is_w]] = pos[is_w]
        self.w_pos = at.tolist()
        at = np.zeros(len(self.r_key), dtype=np.int64)
        at[ids[~is_w]] = pos[~is_w]
        self.r_pos = at.tolist()


def flat_events(events: dict[Any, list[tuple[int, int]]]) -> tuple[Int, Int, Int, Int, Int]:
    """Every process's events in one flat array, process after process: their kinds, their
    read or write ids, their process's column, their position in its program, and where each
    column's events begin (with the end last)."""
    evs = list(events.values())
    lens = np.fromiter(map(len, evs), dtype=np.int64, count=len(evs))
    n = int(lens.sum())
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(evs)), dtype=np.int64,
                       count=2 * n).reshape(n, 2)
    starts = np.concatenate(([0], np.cumsum(lens)))
    proc = np.repeat(np.arange(len(evs), dtype=np.int64), lens)
    pos = np.arange(n, dtype=np.int64) - starts[proc]
    return flat[:, 0], flat[:, 1], proc, pos, starts


def from_registers(view: RegisterView) -> CausalModel:
    """A register history's events; keys whose written values repeat are left out."""
    skip = view.ambiguous_keys
    if not skip:  # share the view's columns: the model reads them, never changes them
        m = CausalModel(exact=False, cite=view.cite, w_key=view.w_key, w_value=view.w_value,
                        w_lo=view.w_inv, w_hi=view.w_comp, w_op=view.w_op, w_proc=view.w_proc,
                        w_prev=[-1] * len(view.w_key), r_key=view.r_key,
                        r_value=view.r_value, r_src=view.r_src, r_op=view.r_op,
                        r_proc=view.r_proc, events=view.events)
        m._finish()
        return m
    m = CausalModel(exact=False, cite=view.cite)
    if skip:
        m.notes.append(f"{len(skip)} key(s) with repeated written values were not checked")
    wmap: dict[int, int] = {}
    for p, evs in view.events.items():
        out: list[tuple[int, int]] = []
        for kind, x in evs:
            if kind == WRITE:
                if view.w_key[x] in skip:
                    continue
                wmap[x] = len(m.w_key)
                m.w_key.append(view.w_key[x])
                m.w_value.append(view.w_value[x])
                m.w_lo.append(view.w_inv[x])
                m.w_hi.append(view.w_comp[x])
                m.w_op.append(view.w_op[x])
                m.w_proc.append(p)
                m.w_prev.append(-1)
                out.append((WRITE, wmap[x]))
            else:
                if view.r_key[x] in skip:
                    continue
                out.append((READ, len(m.r_key)))
                m.r_key.append(view.r_key[x])
                m.r_value.append(view.r_value[x])
                m.r_src.append(view.r_src[x])  # remapped below, once all writes have ids
                m.r_op.append(view.r_op[x])
                m.r_proc.append(p)
        m.events[p] = out
    m.r_src = [wmap.get(s, s) if s >= 0 else s for s in m.r_src]
    m._finish()
    return m


def is_list_append(history: History) -> bool:
    """True if the history's client ops are ``txn`` ops with ``append``/``r`` micro-ops."""
    if "txn" not in history.fs:  # a scan in C: register histories skip the loop over ops
        return False
    for i in history.invocations():
        if history.fs[i] == "txn":
            v = history.values[i]
            if isinstance(v, (list, tuple)) and any(
                isinstance(m, (list, tuple)) and m and m[0] == "append" for m in v
            ):
                return True
    return False


def from_list_append(history: History) -> CausalModel:
    """A list-append history's events. Each key's version order is its longest ok read; a read
    that is not a prefix of it is recorded in ``incompatible`` and not used. An append never
    observed by any read gets ``lo = hi = POS`` if it was ok (it happened, and every read
    missed it) and is left out if it may not have happened (info)."""
    m = CausalModel(exact=True, cite=history.cite)
    txns: list[tuple[int, int, Any, list[Any]]] = []  # (invoke, completion, process, mops)
    longest: dict[Hashable, list[Hashable]] = {}
    for i in history.invocations():
        if history.fs[i] != "txn" or history.processes[i] == NEMESIS:
            continue
        j = history.pair(i)
        code = history.types[j] if j >= 0 else INVOKE
        if code == FAIL:
            continue
        mops = history.values[j] if code == OK else history.values[i]
        if not isinstance(mops, (list, tuple)):
            continue
        txns.append((i, j if code == OK else -1, history.processes[i], list(mops)))
        if code != OK:
            continue
        for mop in mops:
            if _is_read(mop) and isinstance(mop[2], (list, tuple)):
                k = hashable(mop[1])
                vs = [hashable(x) for x in mop[2]]
                if len(vs) > len(longest.get(k, ())):
                    longest[k] = vs
    rank: dict[tuple[Hashable, Hashable], int] = {}
    for k, vs in longest.items():
        for n, v in enumerate(vs):
            rank.setdefault((k, v), n + 1)  # 1-based; the initial empty list is rank 0
    by_value: dict[tuple[Hashable, Hashable], int] = {}
    pending: list[tuple[int, Hashable, list[Hashable]]] = []
    for i, j, p, mops in txns:
        ok = j >= 0
        evs = m.events.setdefault(p, [])
        for mop in mops:
            if not (isinstance(mop, (list, tuple)) and len(mop) == 3):
                continue
            k = hashable(mop[1])
            if mop[0] == "append":
                v = hashable(mop[2])
                rk = rank.get((k, v))
                if rk is None and not ok:
                    continue
                pos = POS if rk is None else rk
                w = len(m.w_key)
                by_value[(k, v)] = w
                m.w_key.append(k)
                m.w_value.append(mop[2])
                m.w_lo.append(pos)
                m.w_hi.append(pos)
                m.w_op.append(i)
                m.w_proc.append(p)
                m.w_prev.append(-1)
                evs.append((WRITE, w))
            elif _is_read(mop) and ok and isinstance(mop[2], (list, tuple)):
                vs = [hashable(x) for x in mop[2]]
                r = len(m.r_key)
                m.r_key.append(k)
                m.r_value.append(list(mop[2]))
                m.r_src.append(THIN)
                m.r_op.append(i)
                m.r_proc.append(p)
                evs.append((READ, r))
                pending.append((r, k, vs))
    for r, k, vs in pending:
        full = longest.get(k, [])
        if vs != full[: len(vs)]:
            m.incompatible.append((k, r, len(vs)))
            m.r_src[r] = THIN if any((k, v) not in by_value for v in vs) else UNPLACED
            continue
        m.r_src[r] = by_value.get((k, vs[-1]), THIN) if vs else INIT
    # An append implicitly read the previous version of its list.
    for k, vs in longest.items():
        prev = -1
        for v in vs:
            w = by_value.get((k, v), -1)
            if w >= 0:
                m.w_prev[w] = prev
                prev = w
    m._finish()
    return m



def _is_read(mop: Any) -> bool:
    return isinstance(mop, (list, tuple)) and len(mop) == 3 and mop[0] == "r"
