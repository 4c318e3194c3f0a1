"""Wing-Gong-Lowe search for a linearization of one partition's ops.

Call and return events are kept in a doubly linked list in real-time order (dancing links).
The search walks the list: at a call it tries to linearize the op now (the model's step); if the
pair (linearized-ops bitset, state) is new it commits, lifts the op's call and return out of the
list and restarts from the head; at a return whose op is not yet linearized it backtracks. The
(bitset, state) cache is what keeps the search from re-exploring equivalent configurations.

``info`` ops return at infinity: their returns sit after every real event, so reaching one
means every completed op is linearized — the remaining crashed ops simply never took effect.
Crashed ops with identical (f, value) are interchangeable; they are linearized in call order
only, which removes the symmetric configurations (a large saving on Jepsen's etcd logs).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._model import INFO_, LinOp, Model, State

# Bytes one cache entry costs on CPython: set slot, 2-tuple, int bitset (grows with ops), and
# a share of the state. Used to turn a memory budget into an entry count before RSS grows.
_ENTRY_BYTES = 160
_CHECK_EVERY = 2048  # loop iterations between budget checks
_KEEP_STATES = 8  # states kept for an explanation
_CALL, _RET, _STOP = 0, 1, 2


@dataclass
class SearchResult:
    """The outcome of searching one partition.

    ``valid`` is True, False, or "unknown" (``reason`` says which budget ran out). For False,
    ``fail_op`` is the op (index into the partition's ops) whose return could not be reached:
    every op that returned before it can be linearized (``prefix`` is one such order), and
    ``states`` are the model states possible there. ``longest`` is the longest partial
    linearization seen (for "unknown").
    """

    valid: bool | Literal["unknown"]
    configurations: int = 0
    fail_op: int = -1
    prefix: list[int] = field(default_factory=list)
    states: list[tuple[State, list[int]]] = field(default_factory=list)
    longest: list[int] = field(default_factory=list)
    reason: str = ""


def _rss_bytes() -> int:
    """Current resident set size (Linux /proc); 0 where unavailable."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def search(
    model: Model,
    ops: Sequence[LinOp],
    deadline: float | None = None,
    memory_limit: int | None = None,
    max_configurations: int | None = None,
) -> SearchResult:
    """Find a linearization of ``ops`` (one partition) under ``model`` within the budgets.

    ``deadline`` is a ``time.monotonic()`` instant; ``memory_limit`` bytes bounds the cache
    (and the process's RSS growth during the search). ``max_configurations`` stops the search
    (reason ``"configurations"``) once it has cached that many configurations, checked at
    fixed points of the loop so the outcome does not depend on timing.
    """
    n = len(ops)
    if n == 0:
        return SearchResult(True)
    inf = float("inf")
    # Events: (position, is_return, op). Info ops return after everything else.
    evs: list[tuple[float, int, int]] = []
    for i, op in enumerate(ops):
        evs.append((op.invoke, 0, i))
        done = op.complete if op.status != INFO_ and op.complete >= 0 else -1
        evs.append((done if done >= 0 else inf, 1, i))
    evs.sort(key=lambda e: (e[0], e[1], e[2]))
    m = len(evs)
    end = m + 1
    nxt = [*range(1, m + 2), end]  # ids: 0 head, 1..m events, m+1 end
    prv = [0, *range(0, m + 1)]
    kind = [_STOP] * (m + 2)
    op_of = [-1] * (m + 2)
    call_of = [0] * n
    ret_of = [0] * n
    for eid, (pos, is_ret, i) in enumerate(evs, 1):
        op_of[eid] = i
        if is_ret:
            ret_of[i] = eid
            kind[eid] = _RET if pos != inf else _STOP
        else:
            call_of[i] = eid
            kind[eid] = _CALL
    kind[0] = _CALL  # never visited; keeps the head distinct from a stop
    ret = [0] * (m + 2)
    bit = [0] * (m + 2)
    fn: list[Any] = [None] * (m + 2)
    prereq = [0] * (m + 2)
    last_same: dict[tuple[str, Any], int] = {}
    for i, op in enumerate(ops):
        c = call_of[i]
        ret[c] = ret_of[i]
        bit[c] = 1 << i
        fn[c] = model.compile(op)
        if op.status == INFO_ or op.complete < 0:
            sig = (op.f, op.value)
            if sig in last_same:
                prereq[c] = bit[call_of[last_same[sig]]]
            last_same[sig] = i

    max_entries = None if memory_limit is None else max(1024, memory_limit // (
        _ENTRY_BYTES + n // 8))
    if max_configurations is not None:
        max_entries = min(max_entries or max_configurations, max_configurations)
    capped = max_configurations is not None and max_entries == max_configurations
    cap_reason = "configurations" if capped else "memory limit"
    rss_cap = None if memory_limit is None else _rss_bytes() + memory_limit

    state: State = model.init()
    lin = 0
    cache: set[tuple[int, State]] = {(0, state)}
    stack: list[tuple[int, State, Sequence[State], int]] = []
    entry = nxt[0]
    countdown = _CHECK_EVERY
    frontier = 0
    frontier_states: list[tuple[State, list[int]]] = []
    prefix: list[int] = []
    best: list[int] = []
    best_len = 0
    clock = time.monotonic
    cache_add = cache.add
    push = stack.append

    while True:
        countdown -= 1
        if not countdown:
            countdown = _CHECK_EVERY
            reason = _over_budget(deadline, clock, max_entries, len(cache), rss_cap, cap_reason)
            if reason:
                if len(stack) > best_len:
                    best = [op_of[s[0]] for s in stack]
                return SearchResult("unknown", len(cache), longest=best, reason=reason)
        k = kind[entry]
        if k == _CALL:
            pb = prereq[entry]
            if pb and not lin & pb:
                entry = nxt[entry]
                continue
            nexts = fn[entry](state)
            if nexts:
                nl = lin | bit[entry]
                for idx, ns in enumerate(nexts):
                    key = (nl, ns)
                    if key not in cache:
                        cache_add(key)
                        push((entry, state, nexts, idx))
                        state = ns
                        lin = nl
                        # lift the call and its return out of the list
                        p, q = prv[entry], nxt[entry]
                        nxt[p] = q
                        prv[q] = p
                        r = ret[entry]
                        p, q = prv[r], nxt[r]
                        nxt[p] = q
                        prv[q] = p
                        entry = nxt[0]
                        break
                else:
                    entry = nxt[entry]
            else:
                entry = nxt[entry]
        elif k == _RET:
            # The first remaining return: every op returning before it is linearized.
            if entry >= frontier:
                if entry > frontier:
                    frontier = entry
                    frontier_states = []
                    prefix = [op_of[s[0]] for s in stack]
                if len(frontier_states) < _KEEP_STATES:
                    frontier_states.append((state, [op_of[s[0]] for s in stack]))
            if len(stack) > best_len:
                best_len = len(stack)
                best = [op_of[s[0]] for s in stack]
            if not stack:
                return SearchResult(False, len(cache), fail_op=op_of[frontier], prefix=prefix,
                                    states=frontier_states, longest=best)
            e, state, nexts, idx = stack.pop()
            lin ^= bit[e]
            # unlift in reverse order of lifting
            r = ret[e]
            nxt[prv[r]] = r
            prv[nxt[r]] = r
            nxt[prv[e]] = e
            prv[nxt[e]] = e
            entry = nxt[e]
            nl = lin | bit[e]
            for idx2 in range(idx + 1, len(nexts)):
                ns = nexts[idx2]
                key = (nl, ns)
                if key not in cache:
                    cache_add(key)
                    push((e, state, nexts, idx2))
                    state = ns
                    lin = nl
                    p, q = prv[e], nxt[e]
                    nxt[p] = q
                    prv[q] = p
                    p, q = prv[r], nxt[r]
                    nxt[p] = q
                    prv[q] = p
                    entry = nxt[0]
                    break
        else:
            return SearchResult(True, len(cache), longest=[op_of[s[0]] for s in stack])


def _over_budget(deadline: float | None, clock: Any, max_entries: int | None, entries: int,
                 rss_cap: int | None, cap_reason: str) -> str:
    if max_entries is not None and entries > max_entries:
        return cap_reason
    if deadline is not None and clock() > deadline:
        return "time limit"
    if rss_cap is not None and _rss_bytes() > rss_cap:
        return "memory limit"
    return ""
