"""The embedded store's data: a primary log replicated asynchronously to follower replicas.

Every write is an entry in one log (its position is its version). Each follower applies entry
``i`` after a lag drawn from a seeded distribution. Two apply schedules are kept per follower:
*prefix* (entries applied in log order, as a replicated log does) and *independent* (each entry
on its own, as an anti-entropy system might, which can show a later write without an earlier
one). Reads pick a replica and a schedule according to their consistency mode, so each mode's
guarantee holds by construction and each weaker mode can show the anomalies it allows.

Memory stays flat: every ``COMPACT_EVERY`` writes the log is compacted up to the *settled*
position, below which every follower has applied every entry in both schedules and no open
snapshot reads. No read of any mode can return a version below it other than each key's newest
(a follower returns the newest version it applied, and it applied them all), so only that one
is kept (``floor``) and the log's arrays drop everything below: positions stay absolute, the
arrays start at ``base``.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

COMPACT_EVERY = 4096  # writes between compactions (each costs O(entries settled since))


@dataclass
class Lag:
    """Replication lag distribution in ms: ``exponential`` with ``mean``, or ``uniform`` 0..2·mean,
    or ``fixed``; ``spike`` adds to every entry committed while it is set (nemesis use)."""

    mean_ms: float = 5.0
    kind: str = "exponential"
    spike_ms: float = 0.0

    def draw(self, rng: random.Random) -> float:
        if self.mean_ms <= 0:
            base = 0.0
        elif self.kind == "uniform":
            base = rng.uniform(0, 2 * self.mean_ms)
        elif self.kind == "fixed":
            base = self.mean_ms
        else:
            base = rng.expovariate(1.0 / self.mean_ms)
        return base + self.spike_ms


@dataclass
class Follower:
    rng: random.Random
    prefix_apply: array = field(default_factory=lambda: array("q"))  # ns, non-decreasing
    indep_apply: array = field(default_factory=lambda: array("q"))  # ns
    isolated_since: int | None = None  # while isolated, nothing new is applied
    settled: int = 0  # every entry below this position is applied in both schedules


class ReplicatedLog:
    """The log, per-key version lists, and the followers' apply schedules."""

    def __init__(self, followers: int = 2, lag: Lag | None = None, seed: int = 0,
                 bounded_versions: int = 10, bounded_ms: float = 100.0) -> None:
        self.lag = lag or Lag()
        self.base = 0  # the position of the arrays' first entry (those below were compacted)
        self.log_key: list[Any] = []
        self.log_value: list[Any] = []
        self.log_commit = array("q")
        self.versions: dict[Any, list[int]] = {}  # key -> its positions from base on
        self.floor: dict[Any, tuple[int, Any]] = {}  # key -> its newest version below base
        # Keys to forget, still in the log: compaction drops them instead of keeping a floor.
        self.forgotten: set[Any] = set()
        self.pins: Counter[int] = Counter()  # open snapshots (positions) that compaction keeps
        self.followers = [Follower(random.Random(f"{seed}/follower/{r}")) for r in range(followers)]
        self.bounded_versions = bounded_versions
        self.bounded_ns = int(bounded_ms * 1e6)
        self.rng = random.Random(f"{seed}/reads")
        # Told of every commit (key, value, position, time): the store's change stream.
        self.on_commit: Callable[[Any, Any, int, int], None] | None = None

    # --- writes ------------------------------------------------------------------------------
    def append(self, key: Any, value: Any, now: int) -> int:
        pos = self.base + len(self.log_value)
        self.log_key.append(key)
        self.log_value.append(value)
        self.log_commit.append(now)
        self.versions.setdefault(key, []).append(pos)
        for fl in self.followers:
            lag_ns = int(self.lag.draw(fl.rng) * 1e6)
            at = now + lag_ns
            prev = fl.prefix_apply[-1] if fl.prefix_apply else 0
            fl.prefix_apply.append(max(prev, at))
            fl.indep_apply.append(at)
        if self.on_commit is not None:
            self.on_commit(key, value, pos, now)
        if len(self.log_value) % COMPACT_EVERY == 0:
            self.compact(now)
        return pos

    def pin(self, pos: int) -> None:
        """Keep every version a snapshot at ``pos`` reads until :meth:`unpin`."""
        self.pins[pos] += 1

    def unpin(self, pos: int) -> None:
        self.pins[pos] -= 1
        if self.pins[pos] <= 0:
            del self.pins[pos]

    def _settle(self, fl: Follower, now: int) -> int:
        limit = now if fl.isolated_since is None else min(now, fl.isolated_since)
        i, end = fl.settled - self.base, len(fl.prefix_apply)
        while i < end and fl.prefix_apply[i] <= limit and fl.indep_apply[i] <= limit:
            i += 1
        fl.settled = self.base + i
        return fl.settled

    def compact(self, now: int) -> None:
        """Drop the versions no read can return any more (see the module docstring)."""
        upto = min((self._settle(fl, now) for fl in self.followers),
                   default=self.base + len(self.log_value))
        if self.pins:
            upto = min(upto, min(self.pins) + 1)
        cut = upto - self.base
        if cut <= 0:
            return
        for key in set(self.log_key[:cut]):
            vs = self.versions[key]
            n = 0
            while n < len(vs) and vs[n] < upto:
                n += 1
            newest = vs[n - 1]
            if n == len(vs):
                del self.versions[key]
                if key in self.forgotten:
                    self.forgotten.discard(key)
                    self.floor.pop(key, None)
                    continue
            else:
                del vs[:n]
            self.floor[key] = (newest, self.log_value[newest - self.base])
        for arr in (self.log_key, self.log_value, self.log_commit,
                    *(a for fl in self.followers for a in (fl.prefix_apply, fl.indep_apply))):
            del arr[:cut]
        self.base = upto

    def forget(self, keys: Container[Any]) -> None:
        """Drop every version of ``keys`` no longer in the log, and the rest when compaction
        reaches them: no op names these keys again (a soak's finished segment)."""
        for key in [k for k in self.floor if k in keys]:
            del self.floor[key]
        self.forgotten.update(k for k in self.versions if k in keys)

    def isolate(self, follower: int, now: int) -> None:
        self.followers[follower].isolated_since = now

    def heal(self, follower: int, now: int) -> None:
        """Reconnect a follower; what it missed is applied from now on (with fresh lag)."""
        fl = self.followers[follower]
        since = fl.isolated_since
        fl.isolated_since = None
        if since is None:
            return
        prev = 0
        for i in range(len(fl.prefix_apply)):
            if fl.prefix_apply[i] > since:
                fl.prefix_apply[i] = max(now + int(self.lag.draw(fl.rng) * 1e6), prev)
            prev = fl.prefix_apply[i]
            if fl.indep_apply[i] > since:
                fl.indep_apply[i] = now + int(self.lag.draw(fl.rng) * 1e6)

    # --- reads -------------------------------------------------------------------------------
    def head(self) -> int:
        return self.base + len(self.log_value) - 1

    def written_keys(self) -> set[Any]:
        """Every key ever written (compacted or not)."""
        return self.versions.keys() | self.floor.keys()

    def latest(self, key: Any) -> tuple[int, Any]:
        """(position, value) of the newest version of ``key`` at the primary; (-1, None) if none."""
        vs = self.versions.get(key)
        if not vs:
            return self.floor.get(key, (-1, None))
        p = vs[-1]
        return p, self.log_value[p - self.base]

    def value_at(self, key: Any, pos: int) -> Any:
        """The value of ``key`` as of log position ``pos`` (the newest version at or before it;
        ``pos`` is an open snapshot, pinned, or newer than the compacted part)."""
        vs = self.versions.get(key) or []
        i = bisect_right(vs, pos)
        if i:
            return self.log_value[vs[i - 1] - self.base]
        below = self.floor.get(key)
        return below[1] if below is not None and below[0] <= pos else None

    def _applied(self, fl: Follower, pos: int, now: int, prefix: bool) -> bool:
        at = (fl.prefix_apply if prefix else fl.indep_apply)[pos - self.base]
        if fl.isolated_since is not None and at > fl.isolated_since:
            return False
        return at <= now

    def applied_prefix(self, fl: Follower, now: int) -> int:
        """The highest position ``fl`` has applied in prefix order (-1 if none)."""
        lo, hi = 0, len(fl.prefix_apply)  # prefix_apply is non-decreasing: binary search
        limit = now if fl.isolated_since is None else min(now, fl.isolated_since)
        while lo < hi:
            mid = (lo + hi) // 2
            if fl.prefix_apply[mid] <= limit:
                lo = mid + 1
            else:
                hi = mid
        return self.base + lo - 1

    def read_follower(self, key: Any, fl: Follower, now: int, prefix: bool) -> tuple[int, Any]:
        for p in reversed(self.versions.get(key) or ()):
            if self._applied(fl, p, now, prefix):
                return p, self.log_value[p - self.base]
        return self.floor.get(key, (-1, None))  # applied everywhere (it is below base)

    def pick(self) -> Follower:
        return self.followers[self.rng.randrange(len(self.followers))]

    def read(self, key: Any, mode: str, now: int, session_token: int = -1) -> tuple[int, Any]:
        """Read ``key`` under a consistency mode; returns (version position, value)."""
        if mode == "strong" or not self.followers:
            return self.latest(key)
        if mode == "eventual":
            return self.read_follower(key, self.pick(), now, prefix=False)
        if mode == "consistent-prefix":
            return self.read_follower(key, self.pick(), now, prefix=True)
        if mode == "session":
            fl = self.pick()
            if self.applied_prefix(fl, now) >= session_token:
                return self.read_follower(key, fl, now, prefix=True)
            return self.latest(key)
        if mode == "bounded":
            fl = self.pick()
            applied = self.applied_prefix(fl, now)
            behind = self.head() - applied
            oldest_missing = self.log_commit[applied + 1 - self.base] if applied < self.head() \
                else now
            if behind <= self.bounded_versions and now - oldest_missing <= self.bounded_ns:
                return self.read_follower(key, fl, now, prefix=True)
            return self.latest(key)
        raise ValueError(f"unknown read mode {mode!r}")
