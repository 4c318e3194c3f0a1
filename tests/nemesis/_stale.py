"""A sound stale-read finder for register histories (unique values per key), used as an oracle.

A read of key k that returned v is *stale* when some write of k completed ok before the read was
invoked, and that write was itself invoked after v's write had completed: every linearization
then orders the newer write between v's write and the read. (v = None: any write of k completed
before the read.) Reads of a value whose write is not known complete (info) are never flagged.
"""

from __future__ import annotations

import bisect
from typing import Any

from isolde.histories import History

INF = 2**63


def _written(f: str, value: Any) -> Any:
    _k, arg = value
    return arg[1] if f == "cas" else arg


def stale_reads(history: History) -> tuple[list[int], list[int]]:
    """(indices of ok read invocations that are stale, indices of all ok read invocations)."""
    done_at: dict[tuple[Any, Any], int] = {}  # (key, value) -> ok completion time of its write
    writes: dict[Any, list[tuple[int, int]]] = {}  # key -> [(completion, invocation)]
    reads: list[tuple[int, Any, Any]] = []
    for inv, comp in history.pairs():
        if comp is None or not comp.is_ok or not isinstance(inv.value, list):
            continue
        k = inv.value[0]
        if inv.f in ("write", "cas"):
            done_at[(k, _written(inv.f, inv.value))] = comp.time
            writes.setdefault(k, []).append((comp.time, inv.time))
        elif inv.f == "read":
            reads.append((inv.index, k, comp.value[1]))
    prefix: dict[Any, tuple[list[int], list[int]]] = {}
    for k, ws in writes.items():
        ws.sort()
        best, maxinv = -1, []
        for _, i in ws:
            best = max(best, i)
            maxinv.append(best)
        prefix[k] = ([c for c, _ in ws], maxinv)
    stale, all_reads = [], []
    for idx, k, v in reads:
        all_reads.append(idx)
        t_inv = history.times[idx]
        if k not in prefix:
            continue
        comps, maxinv = prefix[k]
        n = bisect.bisect_left(comps, t_inv)  # writes completed before the read's invocation
        if n == 0:
            continue
        written_done = -1 if v is None else done_at.get((k, v), INF)
        if maxinv[n - 1] > written_done:
            stale.append(idx)
    return stale, all_reads


def assert_lost_replies_are_info(out: Any) -> None:
    """Under lost-response: the lost replies end as info ops and registers stay linearizable."""
    infos = [op for op in out.history if op.is_info and op.process != "nemesis"]
    assert infos, "lost replies end as info ops"
    assert out.results["checkers"]["linearizable"]["valid"] is True
    assert out.results["faults"]["healed"] is True


def assert_kill_lost_writes(out: Any) -> None:
    """After a kill of a memory-only store: stale reads after the first kill, and the
    linearizable checker sees them too (or ran out of budget)."""
    from isolde.nemesis import fault_windows

    windows = fault_windows(out.history)
    assert windows and all(w.healed for w in windows)
    stale, _ = stale_reads(out.history)
    assert stale and min(out.history.times[i] for i in stale) > windows[0].start
    assert out.results["checkers"]["linearizable"]["valid"] in (False, "unknown")
