"""Generators decide the next op and when, deterministically from a seed.

A generator is an object with ``next(ctx) -> OpSpec | Wait | None``: an op to invoke now, a time
to ask again, or ``None`` when it is exhausted. Workers share one generator and ask it in turn;
the sequence of answers depends only on the seed and the order of asks, so the same ``--seed``
gives the same op schedule (exactly so at concurrency 1).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..histories import Op


@dataclass(frozen=True)
class OpSpec:
    """What to invoke: ``f``, ``value`` and extra fields recorded in the op."""

    f: str
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Ask again at ``until`` (ns since run start)."""

    until: int


@dataclass
class Context:
    """What a generator may look at: the time (ns since start), the asking worker and process,
    the number of workers, and the run's seeded random source."""

    time: int
    worker: int
    process: Any
    concurrency: int
    rng: random.Random


class Generator(Protocol):
    def next(self, ctx: Context) -> OpSpec | Wait | None: ...


Answer = OpSpec | Wait | None


@runtime_checkable
class Observing(Protocol):
    """A generator that decides its next ops from the outcomes of its earlier ones (e.g. final
    reads retried until they succeed): the runner hands it every completion of its ops."""

    def next(self, ctx: Context) -> OpSpec | Wait | None: ...

    def completed(self, op: Op) -> None: ...


class FnGen:
    """Calls ``fn(ctx)`` for each op, forever (the basic building block)."""

    def __init__(self, fn: Callable[[Context], OpSpec]) -> None:
        self.fn = fn

    def next(self, ctx: Context) -> Answer:
        return self.fn(ctx)


class Mix:
    """Each op comes from one of ``gens``, picked at random by ``weights``; exhausted ones drop."""

    def __init__(self, gens: Sequence[Generator], weights: Sequence[float] | None = None) -> None:
        self.gens = list(gens)
        self.weights = list(weights) if weights else [1.0] * len(self.gens)

    def next(self, ctx: Context) -> Answer:
        while self.gens:
            i = ctx.rng.choices(range(len(self.gens)), self.weights)[0]
            ans = self.gens[i].next(ctx)
            if ans is not None:
                return ans
            del self.gens[i], self.weights[i]
        return None


class Limit:
    """At most ``n`` ops from ``gen`` (and from every generator :meth:`then` adds)."""

    def __init__(self, n: int, gen: Generator) -> None:
        self.left, self.gen = n, gen
        self.budget = self  # the Limit whose ``left`` is counted down

    def next(self, ctx: Context) -> Answer:
        if self.budget.left <= 0:
            return None
        ans = self.gen.next(ctx)
        if isinstance(ans, OpSpec):
            self.budget.left -= 1
        return ans

    def completed(self, op: Op) -> None:
        if isinstance(self.gen, Observing):
            self.gen.completed(op)

    def then(self, gen: Generator) -> Limit:
        """``gen`` limited by what this Limit has left (e.g. final reads within a run's cap)."""
        after = Limit(0, gen)
        after.budget = self.budget
        return after


class TimeLimit:
    """Ops from ``gen`` until ``seconds`` after the first ask."""

    def __init__(self, seconds: float, gen: Generator) -> None:
        self.ns, self.gen = int(seconds * 1e9), gen
        self.deadline: int | None = None

    def next(self, ctx: Context) -> Answer:
        if self.deadline is None:
            self.deadline = ctx.time + self.ns
        if ctx.time >= self.deadline:
            return None
        ans = self.gen.next(ctx)
        if isinstance(ans, Wait) and ans.until >= self.deadline:
            return Wait(self.deadline)
        return ans


class Stagger:
    """Spaces ops (across all workers) by random gaps averaging ``seconds`` (uniform 0..2x);
    with ``exact`` the gaps are fixed, which is a rate limit."""

    def __init__(self, seconds: float, gen: Generator, exact: bool = False) -> None:
        self.gap_ns, self.gen, self.exact = int(seconds * 1e9), gen, exact
        self.next_at: int | None = None

    def next(self, ctx: Context) -> Answer:
        if self.next_at is None:
            self.next_at = ctx.time
        if ctx.time < self.next_at:
            return Wait(self.next_at)
        ans = self.gen.next(ctx)
        if isinstance(ans, OpSpec):
            gap = self.gap_ns if self.exact else int(ctx.rng.uniform(0, 2 * self.gap_ns))
            # Schedule from the slot, not from now, so a slow worker does not lower the rate.
            self.next_at = max(self.next_at + gap, ctx.time - 10 * self.gap_ns)
        return ans


def rate(ops_per_s: float, gen: Generator) -> Stagger:
    """At most ``ops_per_s`` ops per second overall, evenly spaced."""
    return Stagger(1.0 / ops_per_s, gen, exact=True)


class Phases:
    """``gens`` one after another: the next starts when the current is exhausted."""

    def __init__(self, *gens: Generator) -> None:
        self.gens = list(gens)

    def next(self, ctx: Context) -> Answer:
        while self.gens:
            ans = self.gens[0].next(ctx)
            if ans is not None:
                return ans
            self.gens.pop(0)
        return None


class Independent:
    """Jepsen's independent keys: values become ``[key, value]``.

    ``active`` keys are in play at once; each key gets at most ``ops_per_key`` ops from its own
    generator (made by ``make(key)``), then is retired for a fresh key. Keys are integers from
    ``first_key``.
    """

    def __init__(self, make: Callable[[int], Generator], active: int = 5,
                 ops_per_key: int = 100, first_key: int = 0) -> None:
        self.make, self.ops_per_key = make, ops_per_key
        self.first_key = self.next_key = first_key
        self.slots: list[tuple[int, Generator, list[int]]] = []
        for _ in range(active):
            self._add()

    def _add(self) -> None:
        k = self.next_key
        self.next_key += 1
        self.slots.append((k, self.make(k), [0]))

    @property
    def keys_used(self) -> int:
        return self.next_key - self.first_key

    def next(self, ctx: Context) -> Answer:
        while self.slots:
            i = ctx.rng.randrange(len(self.slots))
            k, gen, count = self.slots[i]
            ans = gen.next(ctx)
            if isinstance(ans, OpSpec):
                count[0] += 1
                if count[0] >= self.ops_per_key:
                    del self.slots[i]
                    self._add()
                return OpSpec(ans.f, [k, ans.value], ans.extra)
            if ans is None:
                del self.slots[i]
                self._add()
                continue
            return ans
        return None


class EachWorker:
    """Gives every worker the ops of its own ``make(worker)`` generator (e.g. final reads)."""

    def __init__(self, make: Callable[[int], Generator]) -> None:
        self.make = make
        self.gens: dict[int, Generator] = {}

    def next(self, ctx: Context) -> Answer:
        gen = self.gens.get(ctx.worker)
        if gen is None:
            gen = self.gens[ctx.worker] = self.make(ctx.worker)
        return gen.next(ctx)


class Once:
    """Exactly one op."""

    def __init__(self, spec: OpSpec) -> None:
        self.spec: OpSpec | None = spec

    def next(self, ctx: Context) -> Answer:
        spec, self.spec = self.spec, None
        return spec


class Ops:
    """A fixed list of ops, in order."""

    def __init__(self, specs: Sequence[OpSpec]) -> None:
        self.specs = list(specs)
        self.i = 0

    def next(self, ctx: Context) -> Answer:
        if self.i >= len(self.specs):
            return None
        self.i += 1
        return self.specs[self.i - 1]


class Lazy:
    """The generator ``make()`` builds on the first ask (e.g. final reads of the keys used)."""

    def __init__(self, make: Callable[[], Generator]) -> None:
        self.make = make
        self.gen: Generator | None = None

    def next(self, ctx: Context) -> Answer:
        if self.gen is None:
            self.gen = self.make()
        return self.gen.next(ctx)


def exponential_index(rng: random.Random, n: int, base: float = 2.0) -> int:
    """An index in ``0..n-1`` with P(i) proportional to ``base**-i`` (a skewed key choice)."""
    if n <= 1:
        return 0
    # Inverse CDF of the truncated geometric distribution.
    q = 1.0 / base
    u = rng.random() * (1.0 - q**n)
    i = int(math.log1p(-u) / math.log(q))
    return min(i, n - 1)
