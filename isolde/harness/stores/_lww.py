"""Multi-writer last-writer-wins replicas for the embedded store (``--writers lww``).

Every replica accepts writes and stamps them with its own clock (true time plus a skew the
clock-skew nemesis sets); a write reaches the other replicas after a seeded lag; each replica's
value for a key is the one with the highest stamp ``(time, replica)`` among the writes it holds.
With every skew at zero the stamps follow real time, so strong reads (all replicas) stay
linearizable; a skewed clock makes an acknowledged write lose to an older one: a lost update.

Ops are the register's: ``read`` (``strong`` merges every replica; any other mode reads one
replica), ``write``, and ``cas`` (compared against the merged value, written with the local
stamp, so under skew a cas can succeed and still be lost).

Memory stays flat: a write every replica has received, and the writes stamped below it, can
never again be the value any replica shows (each replica already holds something newer, and
arrivals are never taken back), so each write and read of a key drops the settled writes but
the newest, keeping it and the writes still in flight.
"""

from __future__ import annotations

import random
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from ...histories import Op
from ._replicated import Lag

NEVER = 2**62  # arrival time of a write held back by a partition


@dataclass(slots=True)
class Write:
    stamp: tuple[int, int]  # (clock time ns, replica): totally ordered, ties impossible
    value: Any
    origin: int
    # Per replica, ns. Once every replica holds the write it is never changed again (isolate and
    # heal touch only arrivals still to come), so a settled write shares one zeroed sequence:
    # a soak's retired keys each keep one settled write, and their own lists were most of it.
    arrive: list[int] | tuple[int, ...] = field(default_factory=list)


class LWWReplicas:
    """``replicas`` multi-writer replicas; see the module docstring for the rules."""

    def __init__(self, replicas: int, lag: Lag, seed: int = 0) -> None:
        self.n = replicas
        self.lag = lag
        self.skew_ns = [0] * replicas
        self.isolated: dict[int, int] = {}  # replica -> since (ns)
        self.keys: dict[Any, list[Write]] = {}
        self.rngs = [random.Random(f"{seed}/lww/{r}") for r in range(replicas)]
        self.settled_arrivals: tuple[int, ...] = (0,) * replicas

    # --- faults --------------------------------------------------------------------------------
    def set_skew(self, replica: int, skew_ms: float) -> None:
        self.skew_ns[replica] = int(skew_ms * 1e6)

    def clear_skew(self) -> None:
        self.skew_ns = [0] * self.n

    def _link_up(self, a: int, b: int) -> bool:
        return a == b or (a not in self.isolated and b not in self.isolated)

    def isolate(self, replica: int, now: int) -> None:
        """Cut ``replica`` off: writes not yet delivered to or from it wait for :meth:`heal`."""
        self.isolated.setdefault(replica, now)
        for writes in self.keys.values():
            for w in writes:
                if isinstance(w.arrive, tuple):  # settled: every replica has it
                    continue
                for j in range(self.n):
                    if w.arrive[j] > now and not self._link_up(w.origin, j):
                        w.arrive[j] = NEVER

    def heal(self, replica: int, now: int) -> None:
        """Reconnect ``replica``; what it missed (both ways) is delivered from now, with lag."""
        if self.isolated.pop(replica, None) is None:
            return
        for writes in self.keys.values():
            for w in writes:
                if isinstance(w.arrive, tuple):  # settled: every replica has it
                    continue
                for j in range(self.n):
                    if w.arrive[j] == NEVER and self._link_up(w.origin, j):
                        w.arrive[j] = now + int(self.lag.draw(self.rngs[j]) * 1e6)

    # --- data ----------------------------------------------------------------------------------
    def write(self, key: Any, value: Any, replica: int, now: int) -> Write:
        stamp = (now + self.skew_ns[replica], replica)
        arrive = []
        for j in range(self.n):
            if j == replica:
                arrive.append(now)
            elif not self._link_up(replica, j):
                arrive.append(NEVER)
            else:
                arrive.append(now + int(self.lag.draw(self.rngs[j]) * 1e6))
        w = Write(stamp, value, replica, arrive)
        self.keys.setdefault(key, []).append(w)
        self._prune(key, now)
        return w

    def _prune(self, key: Any, now: int) -> None:
        """Drop the writes of ``key`` every replica holds at ``now`` but its newest such one
        (``now`` never goes back: the store's clock is monotonic). Writes still in flight stay,
        even beaten ones: a heal draws their lag."""
        writes = self.keys[key]
        settled = [max(w.arrive) <= now for w in writes]
        for w, s in zip(writes, settled, strict=True):
            if s:
                w.arrive = self.settled_arrivals
        if sum(settled) > 1:
            top = max(w.stamp for w, s in zip(writes, settled, strict=True) if s)
            self.keys[key] = [w for w, s in zip(writes, settled, strict=True)
                              if not s or w.stamp >= top]

    def forget(self, keys: Container[Any], now: int) -> None:
        """Drop ``keys`` whose every write every replica holds at ``now`` (no op names them
        again; a write still in flight could yet change what a replica shows, so its key stays)."""
        for key in [k for k, ws in self.keys.items()
                    if k in keys and all(max(w.arrive) <= now for w in ws)]:
            del self.keys[key]

    def merged(self, key: Any) -> Any:
        """The value every replica converges to: the highest stamp among all writes."""
        writes = self.keys.get(key)
        return max(writes, key=lambda w: w.stamp).value if writes else None

    def view(self, key: Any, replica: int, now: int) -> Any:
        """What ``replica`` holds for ``key`` at ``now``."""
        if key in self.keys:
            self._prune(key, now)
        best: Write | None = None
        for w in self.keys.get(key, ()):
            if w.arrive[replica] <= now and (best is None or w.stamp > best.stamp):
                best = w
        return best.value if best else None

    def apply(self, op: Op, now: int, rng: random.Random) -> Op:
        """Perform a register op at a replica the client's load balancer (``rng``) picks."""
        v = op.value
        if not (isinstance(v, (list, tuple)) and len(v) == 2):
            return op.complete("fail", v, error="bad-value")
        k, arg = v
        replica = rng.randrange(self.n)
        if op.f == "read":
            mode = op.extra.get("consistency", "strong")
            val = self.merged(k) if mode == "strong" else self.view(k, replica, now)
            return op.complete("ok", [k, val], replica=replica)
        if op.f == "write":
            self.write(k, arg, replica, now)
            return op.complete("ok", v, replica=replica)
        if op.f == "cas":
            old, new = arg
            if self.merged(k) != old:
                return op.complete("fail", v, error="precondition-failed", replica=replica)
            self.write(k, new, replica, now)
            return op.complete("ok", v, replica=replica)
        return op.complete("fail", v, error=f"unsupported f {op.f!r} with --writers lww")
