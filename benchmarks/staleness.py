"""Benchmark: the staleness and causal checkers on a synthetic 1M-op register history.

The history imitates the register workload on an eventually consistent store: ``--processes``
clients run read/write/cas ops one at a time on independent keys (``--keys`` in play,
``--ops-per-key`` each) with exponential latencies; a read returns the newest value its key had
``lag`` ms before the read took effect (``lag`` exponential, mean ``--lag-ms``), so reads are
stale, monotonic reads break, and the checkers have work to do. Prints figures; asserts nothing.

    python benchmarks/staleness.py [--ops 1000000] [--processes 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from bisect import bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._registers import _CACHE
from isolde.histories import History, Op


def synthetic_history(ops: int, processes: int = 10, keys: int = 5, ops_per_key: int = 200,
                      lag_ms: float = 5.0, latency_ms: float = 1.0, seed: int = 1) -> History:
    """A register history of ``ops`` events (invocations + completions)."""
    rng = random.Random(seed)
    ms = 1_000_000
    active = list(range(keys))
    next_key = keys
    done_on: dict[int, int] = dict.fromkeys(active, 0)
    commits: dict[int, tuple[list[int], list[int]]] = {}  # key -> (commit times, values)
    written: dict[int, int] = {}
    events: list[tuple[int, int, Op]] = []
    heap = [(int(rng.expovariate(1 / latency_ms) * ms), p) for p in range(processes)]
    heapq.heapify(heap)
    seq = 0
    modes = ("eventual", "eventual", "session", "strong")
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
            mode = modes[rng.randrange(4)]
            if mode == "strong":
                v = vals[-1] if vals else None
            inv = Op(-1, start, "invoke", p, "read", [k, None], None, {"consistency": mode})
            comp = Op(-1, end, "ok", p, "read", [k, v], None, {"consistency": mode})
        else:
            v = written[k] = written.get(k, 0) + 1
            f, val = ("write", [k, v]) if x < 0.8 else ("cas", [k, [vals[-1] if vals else None,
                                                                   v]])
            inv = Op(-1, start, "invoke", p, f, val)
            comp = Op(-1, end, "ok", p, f, val)
            times.append(eff)
            vals.append(v)
        events.append((start, seq, inv))
        events.append((end, seq + 1, comp))
        seq += 2
        heapq.heappush(heap, (end + int(rng.expovariate(1 / latency_ms) * ms), p))
    events.sort(key=lambda e: (e[0], e[1]))
    return History(Op(i, t, o.type, o.process, o.f, o.value, None, o.extra)
                   for i, (t, _s, o) in enumerate(events))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--processes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    h = synthetic_history(a.ops, a.processes, seed=a.seed)
    t1 = time.perf_counter()
    print(f"history: {len(h):,} ops, generated in {t1 - t0:.1f} s")
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


if __name__ == "__main__":
    main()
