"""A small builder for hand-written histories with explicit times (in ms)."""

from __future__ import annotations

from typing import Any

from isolde.histories import History, Op


class Builder:
    """``op(p, f, value, out, start, end)`` adds an invocation at ``start`` ms and its completion
    at ``end`` ms; ``build()`` orders events by time (ties: insertion order) and numbers them.
    ``ids[n]`` is the history index of the n-th op's invocation after ``build()``."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, Op]] = []
        self.n = 0
        self.ids: list[int] = []

    def op(self, p: Any, f: str, value: Any, out: Any, start: float, end: float | None,
           type: str = "ok", **extra: Any) -> int:
        n = self.n
        self.n += 1
        self.events.append((start, 2 * n, Op(-1, 0, "invoke", p, f, value, None, extra)))
        if end is not None:
            self.events.append((end, 2 * n + 1, Op(-1, 0, type, p, f, out, None, extra)))
        return n

    def w(self, p: Any, k: Any, v: Any, start: float, end: float | None, type: str = "ok") -> int:
        return self.op(p, "write", [k, v], [k, v], start, end, type)

    def r(self, p: Any, k: Any, v: Any, start: float, end: float,
          mode: str = "strong") -> int:
        return self.op(p, "read", [k, None], [k, v], start, end, consistency=mode)

    def build(self) -> History:
        evs = sorted(self.events, key=lambda e: (e[0], e[1]))
        ops = []
        inv_at: dict[int, int] = {}
        for i, (t, tag, op) in enumerate(evs):
            if tag % 2 == 0:
                inv_at[tag // 2] = i
            ops.append(Op(i, int(t * 1_000_000), op.type, op.process, op.f, op.value,
                          op.error, op.extra))
        self.ids = [inv_at[n] for n in range(self.n)]
        return History(ops)
