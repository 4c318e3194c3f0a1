"""Benchmark: the staleness and causal checkers on a synthetic 1M-op register history.

The history imitates the register workload on an eventually consistent store: ``--processes``
clients run read/write/cas ops one at a time on independent keys (``--keys`` in play,
``--ops-per-key`` each) with exponential latencies; a read returns the newest value its key had
``lag`` ms before the read took effect (``lag`` exponential, mean ``--lag-ms``), so reads are
stale, monotonic reads break, and the checkers have work to do. Prints each checker's time,
both together's (one decoding shared), and the CPU time of each step; asserts nothing.

    python benchmarks/staleness.py [--ops 1000000] [--processes 10] [--seed 1] [--modes strong]
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from bisect import bisect_right
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Appended, not first: under side_by_side.py the tree in PYTHONPATH is the one measured.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._causal_model import Findings, from_registers
from isolde.checkers._causal_patterns import check_patterns
from isolde.checkers._registers import _CACHE, decode, paused_gc
from isolde.checkers._sessions import check_sessions
from isolde.checkers._staleness import measure
from isolde.histories import History, Op
from isolde.histories._op import EMPTY


def synthetic_history(ops: int, processes: int = 10, keys: int = 5, ops_per_key: int = 200,
                      lag_ms: float = 5.0, latency_ms: float = 1.0, seed: int = 1,
                      modes: tuple[str, ...] = ("eventual", "eventual", "session", "strong"),
                      ) -> History:
    """A register history of ``ops`` events (invocations + completions)."""
    rng = random.Random(seed)
    ms = 1_000_000
    active = list(range(keys))
    next_key = keys
    done_on: dict[int, int] = dict.fromkeys(active, 0)
    commits: dict[int, tuple[list[int], list[int]]] = {}  # key -> (commit times, values)
    written: dict[int, int] = {}
    events: list[tuple[int, int, str, int, str, Any, Any]] = []
    heap = [(int(rng.expovariate(1 / latency_ms) * ms), p) for p in range(processes)]
    heapq.heapify(heap)
    seq = 0
    while len(events) < ops:
        start, p = heapq.heappop(heap)
        slot = rng.randrange(len(active))
        k = active[slot]
        done_on[k] += 1
        if done_on[k] >= ops_per_key:
            active[slot] = next_key
            done_on[next_key] = 0
            next_key += 1
        eff = start + int(rng.expovariate(2 / latency_ms) * ms) + 1
        end = eff + int(rng.expovariate(2 / latency_ms) * ms) + 1
        times, vals = commits.setdefault(k, ([], []))
        x = rng.random()
        if x < 0.5:
            at = eff - int(rng.expovariate(1 / lag_ms) * ms)
            i = bisect_right(times, at) - 1
            v = vals[i] if i >= 0 else None
            mode = modes[rng.randrange(len(modes))]
            if mode == "strong":
                v = vals[-1] if vals else None
            extra = {"consistency": mode}
            events.append((start, seq, "invoke", p, "read", [k, None], extra))
            events.append((end, seq + 1, "ok", p, "read", [k, v], extra))
        else:
            v = written[k] = written.get(k, 0) + 1
            f, val = ("write", [k, v]) if x < 0.8 else ("cas", [k, [vals[-1] if vals else None,
                                                                   v]])
            events.append((start, seq, "invoke", p, f, val, None))
            events.append((end, seq + 1, "ok", p, f, val, None))
            times.append(eff)
            vals.append(v)
        seq += 2
        heapq.heappush(heap, (end + int(rng.expovariate(1 / latency_ms) * ms), p))
    events.sort()  # by time, then by sequence number (unique)
    return History(Op(i, t, typ, p, f, v, None, x or EMPTY)
                   for i, (t, _s, typ, p, f, v, x) in enumerate(events))


def phases(h: History) -> str:
    """CPU seconds of each step of staleness + causal (with the cyclic GC paused, as the
    checkers run): decoding, measuring staleness, the causal model, sessions, patterns."""
    _CACHE.clear()
    spent: list[str] = []

    def timed(name: str, step: Callable[[], Any]) -> Any:
        c = time.process_time()
        got = step()
        spent.append(f"{name} {time.process_time() - c:.2f}")
        return got

    with paused_gc():
        view = timed("decode", lambda: decode(h))
        timed("staleness", lambda: measure(view))
        model = timed("model", lambda: from_registers(view))
        timed("sessions", lambda: check_sessions(model, Findings()))
        timed("patterns", lambda: check_patterns(model, Findings()))
    return "phases (CPU s): " + ", ".join(spent)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--processes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", default="eventual,eventual,session,strong",
                    help="read modes drawn for reads (strong reads see the newest value)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    h = synthetic_history(a.ops, a.processes, seed=a.seed, modes=tuple(a.modes.split(",")))
    t1 = time.perf_counter()
    print(f"history: {len(h):,} ops ({a.modes}), generated in {t1 - t0:.1f} s")
    cfg = CheckConfig(staleness_sla="p99=500ms")
    for names in (["staleness"], ["causal"], ["staleness", "causal"]):
        _CACHE.clear()  # each line pays for decoding the history once
        t, c = time.perf_counter(), time.process_time()
        res = run_checkers(h, names, cfg)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        summary = "; ".join(
            f"{n}: valid={r.valid} "
            + (f"stale={r.data['stale_fraction']:.3f} p99={r.data['time_staleness_ms']['p99']:.1f}"
               "ms" if n == "staleness" else
               ", ".join(f"{k}={v}" for k, v in r.data["counts"].items() if v))
            for n, r in res.items())
        print(f"{'+'.join(names):18s} {dt:6.2f} s wall {dc:6.2f} s cpu   {summary}")
    print(phases(h))


if __name__ == "__main__":
    main()
