"""Wing-Gong-Lowe search for a linearization of one partition's ops.

Call and return events are kept in a doubly linked list in real-time order (dancing links).
The search walks the list: at a call it tries to linearize the op now (the model's step); if the
pair (linearized-ops bitset, state) is new it commits, lifts the op's call and return out of the
list and restarts from the head; at a return whose op is not yet linearized it backtracks. The
(bitset, state) cache is what keeps the search from re-exploring equivalent configurations.

``info`` ops return at infinity: their returns sit after every real event, so reaching one
means every completed op is linearized — the remaining crashed ops simply never took effect.
Two reductions keep the search small without losing completeness:

* Crashed ops with identical (f, value) are interchangeable; they are linearized in call order
  only, which removes the symmetric configurations (a large saving on Jepsen's etcd logs).
* An effect-free op (a read, a failed CAS: :meth:`Model.effect_free`) whose call has happened
  and which is legal in the current state is linearized *now*, without trying the orders that
  put it later: any linearization that places it later stays valid with it moved here (the
  state is the same, and every op that had to precede it is already linearized). So when the
  search backtracks over such an op it backtracks once more, and when the configuration with
  it linearized is already known (so known to fail), it backtracks at once.

So each configuration is walked in two passes, effect-free calls first. Those calls are linked
in a list of their own, and the first remaining return is kept as a number, so the first pass
visits only them up to that return, and the second never meets them (on Jepsen's etcd logs,
skipping the other calls was 40% of the loop's iterations).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, Literal

from ..._resources import rss_bytes
from ._events import BACK as _BACK
from ._events import GUARDED as _GUARDED
from ._events import READ as _READ
from ._events import RET as _RET
from ._events import STOP as _STOP
from ._events import crashed, link, packed_slots
from ._model import OK_, LinOp, Model, Reach, State

# Bytes one cache entry costs on CPython: set slot, 2-tuple, int bitset (grows with ops), and
# a share of the state. Used to turn a memory budget into an entry count before RSS grows.
_ENTRY_BYTES = 160
_CHECK_EVERY = 2048  # loop iterations between budget checks
# Budget checks between reads of the RSS (from /proc: tens of µs, as much as a hundred loop
# iterations; the cache, which the entry count bounds, grows by a few MB at most in between).
_RSS_EVERY = 16
_EXPLAIN_AT_ONCE = 512  # partitions up to this many ops collect explanations in one pass
# The second, explaining search of an invalid partition may cache this many configurations,
# or this many times what the first search did, whichever is more.
_EXPLAIN_MIN, _EXPLAIN_FACTOR = 200_000, 16
_KEEP_STATES = 8  # distinct states kept for an explanation (one more marks "and others")
_NEVER_REACHED = 1 << 62  # an event id beyond any partition's
# Partitions longer than this number their linearized sets compactly (see Search._number): a
# bit per op costs O(ops) per step there; below, the plain bits' cheaper step wins (10 %).
_PACK_ABOVE = 1024
# A linearized op on the search stack: (its call event, the state before it, its possible next
# states, which of them was taken, the linearized set before it).
Frame = tuple[int, State, Sequence[State], int, int]


@dataclass
class SearchResult:
    """The outcome of searching one partition.

    ``valid`` is True, False, or "unknown" (``reason`` says which budget ran out). For False,
    ``fail_op`` is the op (index into the partition's ops) whose return could not be reached:
    every op that returned before it can be linearized (``prefix`` is one such order), and
    ``states`` are the distinct model states possible there (at most 9; 9 means "and more"),
    each with the ops linearized on the way. ``longest`` is the longest partial
    linearization seen (for "unknown").
    """

    valid: bool | Literal["unknown"]
    configurations: int = 0
    fail_op: int = -1
    prefix: list[int] = field(default_factory=list)
    states: list[tuple[State, list[int]]] = field(default_factory=list)
    longest: list[int] = field(default_factory=list)
    reason: str = ""


def search(
    model: Model,
    ops: Sequence[LinOp],
    deadline: float | None = None,
    memory_limit: int | None = None,
    max_configurations: int | None = None,
) -> SearchResult:
    """Find a linearization of ``ops`` (one partition) under ``model`` within the budgets.

    ``deadline`` is a ``time.monotonic()`` instant; ``memory_limit`` bytes bounds the cache
    (and the process's RSS growth during the search). ``max_configurations`` pauses the search
    (reason ``"configurations"``) once it has cached that many configurations.
    """
    return Search(model, ops, deadline, memory_limit).run(max_configurations)


class Search:
    """A resumable WGL search over one partition: :meth:`run` continues where it stopped."""

    def __init__(self, model: Model, ops: Sequence[LinOp], deadline: float | None = None,
                 memory_limit: int | None = None, explain: bool = False,
                 rss_cap: int | None = None, key: Hashable = None,
                 prune_below: int | None = None) -> None:
        """``rss_cap``: an absolute RSS bound shared by all searches of this process (default:
        RSS now + ``memory_limit``); ``key``: the partition's, for its initial state;
        ``prune_below``: see :meth:`_prunable` (None: prune wherever the model's reach allows)."""
        self.n = n = len(ops)
        self.model, self.ops, self.memory_limit = model, ops, memory_limit
        self.deadline = deadline
        # Collecting the failure's states and prefix copies the stack at every new frontier:
        # cheap for small partitions, so done at once; otherwise only in a second search once
        # the first has found the partition invalid.
        reach = model.reach(ops)
        self.explain = explain or n <= _EXPLAIN_AT_ONCE
        # Pruning by reachability (see Model.reach) may cut a configuration that would have
        # advanced the frontier before failing, which would change the explanation; a dead
        # read cannot be passed, so a configuration is pruned safely when its dead read returns
        # before a frontier already reached (or known from an earlier search).
        self.prune_below = _NEVER_REACHED if prune_below is None else prune_below
        self.pruned_to = -1  # the latest return of a dead read whose configuration was pruned
        self._compile(reach)
        self.memory_entries = None if memory_limit is None else max(
            1024, memory_limit // (_ENTRY_BYTES + n // 8))
        if rss_cap is None and memory_limit is not None:
            rss_cap = rss_bytes() + memory_limit
        self.rss_cap = rss_cap
        self.checks = 0  # budget checks so far
        # The search's own state, kept between runs.
        self.key = key
        self.state: State = model.initial(key)
        self.lin = 0
        self.cache: set[tuple[int, State]] = {(0, self.state)}
        self.stack: list[Frame] = []
        self.first_ret = self._return_from(self.nxt[0])  # the first remaining return
        self.entry = min(self.rnxt[0], self.first_ret)  # the first pass's start
        self.resume = 0  # > 0: retry the stack top's call from this alternative (of `nexts`)
        self.nexts: Sequence[State] = ()
        # Each configuration is walked twice: effect-free ops first (one that is legal is
        # linearized at once, see above), then the others.
        self.reads_first = True
        self.frontier = 0
        self.explained_at = 0  # the frontier the states and prefix below are for
        # At the frontier: the stack that first reached it, and each distinct state with the
        # stack that reached it (copies of the stack, made into op lists only on failure).
        self.frontier_states: list[tuple[State, list[Frame]]] = []
        self.frontier_seen: set[State] = set()  # their states
        self.prefix: list[Frame] = []
        self.best: list[int] = []  # its first `low` entries are always the stack's bottom
        self.low = 0
        self.done: SearchResult | None = None

    def _return_from(self, entry: int) -> int:
        """The first return (or stop) in the second pass's list from ``entry`` on."""
        nxt, kind = self.nxt, self.kind
        while kind[entry] < _RET:
            entry = nxt[entry]
        return entry

    def _compile(self, reach: Sequence[Reach | None]) -> None:
        """The event lists (see :mod:`._events`) and, per call event: its op's place in the
        linearized set, step closure, successor (interchangeable crashed ops go in call
        order: the next one) and, for an ok effect-free op, its reachability test. (Built a
        column at a time, the ops' closures in a C loop: this runs over every op.)"""
        model, ops = self.model, self.ops
        effect_free = list(map(model.effect_free, ops))
        was_crashed = crashed(ops)
        succ = _interchangeable(ops, effect_free, was_crashed)
        ev, ls = link(ops, effect_free, was_crashed, list(succ.values()))
        self.kind, self.op_of, self.ret, call_of = ev
        self.back = len(ev.kind) - 1
        self.nxt, self.prv, self.rnxt, self.rprv = ls
        size = len(self.op_of)
        self._number(call_of, was_crashed, size)
        self.fn: list[Callable[[State], Sequence[State]]] = [_never] * size
        deque(map(self.fn.__setitem__, call_of, map(model.compile, ops)), maxlen=0)
        self.succ = [0] * size
        for a, b in succ.items():
            self.succ[call_of[a]] = call_of[b]
        self.reach: list[Callable[[State], bool] | None] = [None] * size
        # The ops that make an unreachable read legal again: their bits (one bit per op), or
        # their calls (a packed linearized set, see _number).
        self.via = [0] * size
        self.via_calls: list[tuple[int, ...]] = [()] * size
        for i in compress(range(len(reach)), reach):
            c, r = call_of[i], reach[i]
            if self.kind[c] == _READ and ops[i].status == OK_ and not was_crashed[i] and r:
                self.reach[c] = r.test
                if self.packed:
                    self.via_calls[c] = tuple(call_of[j] for j in sorted(set(r.via)))
                else:
                    self.via[c] = sum(1 << j for j in set(r.via))

    def _number(self, call_of: list[int], was_crashed: list[bool], size: int) -> None:
        """Each op's place in the linearized set, an int packed so that it stays small however
        long the partition (see :func:`_settle`): the low ``s`` bits count the completed ops
        linearized in a row from the first one (every completed op before that count is
        linearized); then one bit per crashed op (in call order: they may never take effect,
        so they are kept apart, or one would hold the count back for good); then one bit per
        completed op after the count, relative to it. The set of linearized ops has one such
        int, so the cache of (set, state) is as exact as with one bit per op; but a bit per op
        made every step cost O(ops) (20,000-op keys: 3.5 instead of 0.8 µs per op).

        Partitions of up to _PACK_ABOVE ops keep one bit per op (``bit``)."""
        self.packed = len(call_of) > _PACK_ABOVE
        self.bit: list[int] = []
        self.pos: list[int] = []
        self.slide: list[int] = []
        self.rel = self.lowest = 0
        if not self.packed:
            self.bit = bit = [0] * size
            for i, c in enumerate(call_of):
                bit[c] = 1 << i
            return
        s = len(call_of).bit_length()
        self.rel = s + sum(was_crashed)  # where the completed ops' bits start
        self.lowest = 1 << self.rel  # the first completed op not in the count: then settle
        # pos: the op's bit (completed: relative to the count, subtracted at each step with
        # slide's mask); slide: the count's mask for a completed op, 0 for a crashed one.
        self.pos, self.slide = packed_slots(was_crashed, call_of, size, s)

    def _linearized(self, calls: tuple[int, ...], lin: int) -> bool:
        """Whether the ops of these call events are all in the linearized set ``lin``."""
        pos, slide, rel = self.pos, self.slide, self.rel
        for c in calls:
            q = pos[c] - (lin & slide[c])
            if not ((slide[c] and q < rel) or lin >> q & 1):
                return False
        return True

    def run(self, max_configurations: int | None = None) -> SearchResult:
        """Search on until an answer, a budget, or ``max_configurations`` cached
        configurations (then "unknown" with reason ``configurations``; call again to go on)."""
        if self.done is not None:
            return self.done
        return self._finish(self._walk(*self._cache_cap(max_configurations)))

    def _cache_cap(self, max_configurations: int | None) -> tuple[int | None, str]:
        """How many configurations may be cached in this run, and what running out means."""
        max_entries = self.memory_entries
        if max_configurations is not None and (max_entries is None
                                               or max_configurations < max_entries):
            return max_configurations, "configurations"
        return max_entries, "memory limit"

    def _walk(self, max_entries: int | None, cap_reason: str) -> SearchResult:
        """The search loop (hot: what it touches on every step is a local), from where the
        last run stopped to an answer or a budget; the position is saved for the next run.

        At a call it tries to linearize the op; at a return it backtracks. The first pass
        walks the effect-free calls before the first return, the second the other calls. An
        ok read that is illegal in the first pass and whose state is out of reach (``reach``)
        makes the configuration dead: the pass jumps to the first return, which backtracks
        like any return the search cannot pass.
        """
        nxt, prv, kind, fn = self.nxt, self.prv, self.kind, self.fn
        pos, slide, rel, lowest = self.pos, self.slide, self.rel, self.lowest
        bit, packed = self.bit, self.packed
        rnxt, rprv, first = self.rnxt, self.rprv, self.first_ret
        ret, succ, reach, via = self.ret, self.succ, self.reach, self.via
        via_calls = self.via_calls
        frontier, deepest = self.frontier, len(self.best)
        state, lin, cache, stack = self.state, self.lin, self.cache, self.stack
        entry, resume, nexts = self.entry, self.resume, self.nexts
        reads_first, back = self.reads_first, self.back
        cache_add, push, pop = cache.add, stack.append, stack.pop
        countdown = _CHECK_EVERY
        key: tuple[int, State] = (0, None)
        while True:
            countdown -= 1
            if not countdown:
                countdown = _CHECK_EVERY
                reason = self._over_budget(max_entries, cap_reason)
                if reason:
                    out = self._paused(reason)
                    break
            k = kind[entry]
            if k < _BACK:  # a call: try to linearize it here
                if resume:  # backtracked into a nondeterministic op: its next alternative
                    if packed:
                        nl = lin | 1 << (pos[entry] - (lin & slide[entry]))
                        if nl & lowest:
                            nl = _settle(nl, rel)
                    else:
                        nl = lin | bit[entry]
                    idx = _untried(cache, nl, nexts, resume)
                    resume = 0
                    if idx < 0:
                        entry = nxt[entry]
                        continue
                    key = (nl, nexts[idx])
                else:
                    if k == _GUARDED and entry > first:  # (in an earlier one's place)
                        entry = nxt[entry]  # not called yet
                        continue
                    nexts = fn[entry](state)
                    if not nexts:
                        if not reads_first:
                            entry = nxt[entry]
                        elif ((test := reach[entry]) is not None and not test(state)
                                and not via[entry] & ~lin
                                and (not packed or self._linearized(via_calls[entry], lin))
                                and self._prunable(entry)):
                            entry, reads_first = first, False  # dead: backtrack there
                        else:  # the next effect-free call, or the first return
                            entry = rnxt[entry]
                            if entry > first:
                                entry = first
                        continue
                    idx = 0
                    if packed:
                        nl = lin | 1 << (pos[entry] - (lin & slide[entry]))
                        if nl & lowest:
                            nl = _settle(nl, rel)
                    else:
                        nl = lin | bit[entry]
                    key = (nl, nexts[0])
                    if key in cache:
                        if k == _READ:
                            # Legal and effect-free, and the search from here with it
                            # linearized has failed: so does every search from here.
                            entry = back
                        elif len(nexts) > 1:
                            resume = 1
                        else:
                            entry = nxt[entry]
                        continue
                cache_add(key)
                push((entry, state, nexts, idx, lin))
                state, lin = key[1], nl
                # Lift the op's events out of their lists (dancing links: they keep their own
                # pointers, so a backtrack puts them back). The first pass goes on from the
                # first effect-free call, or after a read (same state: the reads before it
                # were found illegal in it) the one after it; the first return if that
                # comes first. (Inlined, as the relinking below: this runs per
                # configuration.)
                r = ret[entry]
                if k == _READ:
                    p, q = rprv[entry], rnxt[entry]
                    rnxt[p] = q
                    rprv[q] = p
                else:
                    q = rnxt[0]
                    p, n = prv[entry], nxt[entry]
                    s = succ[entry]
                    if s:  # the next interchangeable op takes its place (undone as a lift)
                        nxt[p] = prv[n] = s
                        prv[s], nxt[s] = p, n
                    else:
                        nxt[p] = n
                        prv[n] = p
                p, n = prv[r], nxt[r]
                nxt[p] = n
                prv[n] = p
                if r == first:  # the next return: after it, past the calls in between
                    while kind[n] < _RET:
                        n = nxt[n]
                    first = n
                entry, reads_first = q if q < first else first, True
            elif k < _STOP:  # backtrack
                if k == _RET:
                    if reads_first:  # end of the first pass: now the other calls
                        reads_first = False
                        entry = nxt[0]
                        continue
                    if entry >= frontier or len(stack) > deepest:
                        self._reached(entry, state)
                        frontier, deepest = self.frontier, len(self.best)
                if not stack:
                    out = self._failed()
                    break
                reads_first = False
                e, state, nexts, idx, lin = pop()
                if len(stack) < self.low:
                    self.low = len(stack)
                r = ret[e]  # relink, in the reverse order of the lift
                if r < first:
                    first = r
                nxt[prv[r]] = r
                prv[nxt[r]] = r
                if kind[e] == _READ:
                    rnxt[rprv[e]] = e
                    rprv[rnxt[e]] = e
                    entry = back  # linearizing it here was as good as any later: go further
                    continue
                nxt[prv[e]] = e
                prv[nxt[e]] = e
                if idx + 1 < len(nexts):
                    entry, resume = e, idx + 1
                else:
                    entry = nxt[e]
            else:
                out = SearchResult(True, len(cache),
                                   longest=[self.op_of[s[0]] for s in stack])
                break
        self.state, self.lin, self.entry, self.resume = state, lin, entry, resume
        self.nexts, self.reads_first, self.first_ret = nexts, reads_first, first
        return out

    def _prunable(self, call: int) -> bool:
        """Whether a configuration whose read at ``call`` is dead may be abandoned: always in a
        search for the verdict; in one that explains, only if the read returns before the
        frontier reached so far or ``prune_below`` (no continuation can get past the read, so
        none reaches the final frontier, and its states are unchanged)."""
        r = self.ret[call]
        if r >= self.prune_below and r >= self.frontier:
            return False
        if r > self.pruned_to:
            self.pruned_to = r
        return True

    def _reached(self, entry: int, state: State) -> None:
        """A return the search cannot pass (every op returning before it is linearized): the
        frontier, and the longest partial linearization, as far as the search got."""
        stack = self.stack
        if entry >= self.frontier:
            self.frontier = entry
            if self.explain:
                self._explain_frontier(entry, state, stack)
        if len(stack) > len(self.best):
            # Copy only what changed since the last copy (amortised O(1)).
            _extend(self.best, self.low, stack, self.op_of)
            self.low = len(stack)

    def _failed(self) -> SearchResult:
        op_of = self.op_of
        return SearchResult(False, len(self.cache), fail_op=op_of[self.frontier],
                            prefix=[op_of[s[0]] for s in self.prefix],
                            states=[(st, [op_of[s[0]] for s in stack])
                                    for st, stack in self.frontier_states],
                            longest=list(self.best))

    def _paused(self, reason: str) -> SearchResult:
        if len(self.stack) > len(self.best):
            _extend(self.best, self.low, self.stack, self.op_of)
        return SearchResult("unknown", len(self.cache), longest=list(self.best), reason=reason)

    def _over_budget(self, max_entries: int | None, cap_reason: str) -> str:
        if max_entries is not None and len(self.cache) > max_entries:
            return cap_reason
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "time limit"
        self.checks += 1
        if self.rss_cap is not None and not self.checks % _RSS_EVERY and rss_bytes() > self.rss_cap:
            return "memory limit"
        return ""

    def _explain_frontier(self, entry: int, state: State,
                          stack: list[Frame]) -> None:
        """At the frontier (the first remaining return, as far as the search got): keep the
        prefix that reached it and the distinct states possible there, for the explanation."""
        if entry > self.explained_at:  # a new frontier: what was kept is for an earlier one
            self.explained_at = entry
            self.frontier_states = []
            self.frontier_seen = set()
            self.prefix = stack[:]
        fs = self.frontier_states
        if len(fs) <= _KEEP_STATES and state not in self.frontier_seen:
            self.frontier_seen.add(state)
            fs.append((state, stack[:]))

    def _finish(self, out: SearchResult) -> SearchResult:
        """An invalid verdict found without exact explanations (not collected, or pruning may
        have cut a configuration that would have got further) is searched again collecting
        them, pruning only below the frontier this search reached; a final answer is kept (and
        the cache freed)."""
        if out.valid is False and (not self.explain or self.pruned_to >= self.frontier):
            # Bounded: with less pruning the same answer can take longer to reach.
            budget = max(_EXPLAIN_MIN, _EXPLAIN_FACTOR * out.configurations)
            again = Search(self.model, self.ops, self.deadline, self.memory_limit, True,
                           self.rss_cap, self.key, self.frontier).run(budget)
            if again.valid is False:  # else a budget ran out: keep the bare verdict
                again.configurations = out.configurations
                out = again
        if out.valid != "unknown" or out.reason != "configurations":
            self.done = out
            self.cache = set()  # free the memory; the answer is kept
        return out


def _interchangeable(ops: Sequence[LinOp], effect_free: list[bool],
                     was_crashed: list[bool]) -> dict[int, int]:
    """Crashed ops with effects that are interchangeable (the same f and value) with an
    earlier crashed op: the earlier op -> the next of them, which the search calls only in
    that one's place."""
    succ: dict[int, int] = {}
    last_same: dict[tuple[str, Any], int] = {}
    for i in compress(range(len(ops)), was_crashed):
        op = ops[i]
        sig = (op.f, op.value)
        if sig in last_same and not effect_free[i]:
            succ[last_same[sig]] = i
        last_same[sig] = i
    return succ


def _settle(lin: int, rel: int) -> int:
    """``lin`` (see :meth:`Search._number`) with the completed ops linearized in a row from
    the count's on moved into the count: the relative bits shift down by as many."""
    r = lin >> rel
    t = (r ^ (r + 1)).bit_length() - 1  # the trailing ones of r
    return (r >> t) << rel | ((lin & ((1 << rel) - 1)) + t)


def _never(state: State) -> Sequence[State]:
    return ()


def _untried(cache: set[tuple[int, State]], lin: int, nexts: Sequence[State], start: int) -> int:
    """The first of the alternatives ``nexts[start:]`` not yet cached with ``lin``, or -1."""
    for idx in range(start, len(nexts)):
        if (lin, nexts[idx]) not in cache:
            return idx
    return -1


def _extend(best: list[int], low: int, stack: list[Frame],
            op_of: list[int]) -> None:
    """Make ``best`` the stack's ops, copying only above ``low`` (what is below is the same)."""
    del best[low:]
    best.extend(op_of[s[0]] for s in stack[low:])
