"""Running resumable partition searches in rounds: in this process, or in worker processes.

Each partition's :class:`Search` lives in one place for the whole check (this process, or the
worker it was assigned to), so a round with a larger budget resumes it instead of starting
over. Results depend only on the budgets, never on which worker ran what.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections.abc import Hashable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from ._model import LinOp, Model
from ._wgl import Search, SearchResult, rss_bytes


class SerialRunner:
    """Searches partitions one after another in this process; ``keys[i]`` is partition
    ``i``'s key (for its initial state)."""

    def __init__(self, model: Model, parts: Sequence[list[LinOp]], deadline: float | None,
                 memory: int, keys: Sequence[Hashable] = ()) -> None:
        self.model, self.parts, self.deadline, self.memory = model, parts, deadline, memory
        self.keys = keys
        self.searches: dict[int, Search] = {}
        # Paused searches keep their caches, so the bound is on the whole process's growth.
        self.rss_cap = rss_bytes() + memory

    def round(self, indices: Sequence[int], budget: int) -> list[SearchResult]:
        """Each partition's search, in order, run on to ``budget`` configurations; the
        round ends at the first invalid partition (the verdict is known), so the results may
        stop short of ``indices``."""
        out = []
        for i in indices:
            s = self.searches.get(i)
            if s is None:
                s = self.searches[i] = Search(self.model, self.parts[i], self.deadline,
                                              self.memory, rss_cap=self.rss_cap,
                                              key=self.keys[i] if self.keys else None)
            r = s.run(budget)
            if s.done is not None:
                del self.searches[i]
            out.append(r)
            if r.valid is False:
                break
        return out

    def close(self) -> None:
        self.searches.clear()


def _worker(conn: Connection, model: Model, parts: dict[int, list[LinOp]],
            keys: dict[int, Hashable], searches: dict[int, Search], deadline: float | None,
            memory: int) -> None:
    """Worker process: answer ``(indices, budget)`` rounds until told to stop (None).

    ``model`` (with its options) and ``searches``, paused searches, are inherited from the
    parent (fork), not pickled.
    """
    gc.disable()  # as in the parent: the search makes no reference cycles
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    runner = SerialRunner(model, [], deadline, memory)
    runner.parts = parts  # type: ignore[assignment]  # index -> ops, a sparse "sequence"
    runner.keys = keys  # type: ignore[assignment]  # index -> key, as sparse
    runner.searches = searches
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the parent is gone
            break
        if msg is None:
            break
        indices, budget = msg
        try:
            conn.send(runner.round(indices, budget))
        except Exception as e:  # e.g. a user model's bug: re-raised in the parent
            conn.send(e)
    conn.close()


def _groups(sizes: Sequence[int], n: int) -> list[list[int]]:
    """Indices in ``n`` groups of similar total size (largest first, greedy)."""
    groups: list[list[int]] = [[] for _ in range(n)]
    load = [0] * n
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        g = load.index(min(load))
        groups[g].append(i)
        load[g] += sizes[i]
    return [g for g in groups if g]


def _upto_violation(results: list[SearchResult | None]) -> list[SearchResult]:
    """The results in order up to the first invalid one, as one process would give them
    (None: not searched, since it came after a violation in its worker's share)."""
    out = []
    for r in results:
        if r is None:
            break
        out.append(r)
        if r.valid is False:
            break
    return out


def can_fork() -> bool:
    """Workers are forked, so that they inherit the ops and any paused searches unpickled."""
    return "fork" in multiprocessing.get_all_start_methods()


class ProcessRunner:
    """Searches partitions in ``workers`` forked processes, each owning a fixed share of them.

    ``indices`` are the partitions to share out (default all); ``searches`` are paused
    searches of some of them (from a :class:`SerialRunner`), which their owners resume.
    """

    def __init__(self, model: Model, parts: Sequence[list[LinOp]], deadline: float | None,
                 memory: int, workers: int, indices: Sequence[int] | None = None,
                 searches: dict[int, Search] | None = None,
                 keys: Sequence[Hashable] = ()) -> None:
        ctx = multiprocessing.get_context("fork")
        idx = list(range(len(parts))) if indices is None else list(indices)
        paused = searches or {}
        self.owner: dict[int, int] = {}
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for w, group in enumerate(_groups([len(parts[i]) for i in idx], workers)):
            mine = [idx[g] for g in group]
            parent, child = ctx.Pipe()
            share = {i: parts[i] for i in mine}
            my_keys = {i: keys[i] for i in mine} if keys else {}
            inherit = {i: paused[i] for i in mine if i in paused}
            proc = ctx.Process(target=_worker, daemon=True,
                               args=(child, model, share, my_keys, inherit, deadline, memory))
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
            for i in mine:
                self.owner[i] = w

    @property
    def workers(self) -> int:
        return len(self.procs)

    def round(self, indices: Sequence[int], budget: int) -> list[SearchResult]:
        mine: dict[int, list[int]] = {}
        for i in indices:
            mine.setdefault(self.owner[i], []).append(i)
        for w, idx in mine.items():
            self.conns[w].send((idx, budget))
        got: dict[int, SearchResult] = {}
        for w, idx in mine.items():
            try:
                answer = self.conns[w].recv()
            except (EOFError, OSError):  # the worker died (e.g. killed by the OOM killer)
                answer = [SearchResult("unknown", reason="worker process died")] * len(idx)
            if isinstance(answer, BaseException):
                raise answer
            # A worker's answer ends at the first violation in its share.
            got.update(zip(idx, answer, strict=False))
        return _upto_violation([got.get(i) for i in indices])

    def close(self) -> None:
        for c in self.conns:
            try:
                c.send(None)
                c.close()
            except OSError:
                pass
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
