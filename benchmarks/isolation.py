"""Benchmark: the list-append checker on synthetic histories of 10k, 100k and 1M transactions.

Histories come from a fast in-process simulation (not the asyncio harness): 8 processes, each
with one transaction in flight; at each step a random process invokes, executes (its effect,
serially, at that instant) or completes its transaction, so transactions overlap in real time
and the history is strict serializable. Transactions have 3-5 micro-ops (4 on average), half
appends, over 10 active keys chosen with an exponential skew, at most 32 appends per key.
``--mode si`` is snapshot isolation instead: reads from a snapshot taken at invocation, appends
applied at completion unless another transaction appended to one of the same keys since the
snapshot (first committer wins: the transaction fails). That lets write skew (G2-item) through,
so the checker has cycles to find.

Prints, per size: ops, generation time, check time (wall, and CPU time of the process, which
contention from other work on the machine inflates less), transactions per second, the verdict
and the peak RSS of the process (ru_maxrss; the history itself is part of it). Each size runs in a
fresh subprocess so peaks do not carry over. Asserts nothing about time.

    python benchmarks/isolation.py                 # 10k, 100k, 1M
    python benchmarks/isolation.py --sizes 100000 --mode si
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from isolde.checkers import CheckConfig, make_checker
from isolde.harness import exponential_index
from isolde.histories import History, Op

PROCESSES = 8
ACTIVE_KEYS = 10
MAX_WRITES = 32


def simulate(n_txns: int, seed: int = 0, mode: str = "serial") -> Iterator[Op]:
    """Ops of a list-append history with ``n_txns`` transactions."""
    rng = random.Random(seed)
    state: dict[int, list[int]] = {}
    active = list(range(ACTIVE_KEYS))
    writes: dict[int, int] = {}
    next_key = ACTIVE_KEYS
    # Per process: phase 0 idle, 1 invoked, 2 executed; and its transaction's micro-ops.
    phase = [0] * PROCESSES
    txn: list[list[Any]] = [[] for _ in range(PROCESSES)]
    snap: list[dict[int, tuple[int, ...]]] = [{} for _ in range(PROCESSES)]
    started = done = 0
    i = 0
    while done < n_txns:
        p = rng.randrange(PROCESSES)
        ph = phase[p]
        if ph == 0:
            if started >= n_txns:
                continue
            started += 1
            mops: list[Any] = []
            for _ in range(rng.randint(3, 5)):
                k = active[exponential_index(rng, len(active))]
                if rng.random() < 0.5:
                    mops.append(["r", k, None])
                else:
                    w = writes.get(k, 0) + 1
                    writes[k] = w
                    if w >= MAX_WRITES:
                        active[active.index(k)] = next_key
                        next_key += 1
                    mops.append(["append", k, w])
            txn[p] = mops
            if mode == "si":
                snap[p] = {m[1]: tuple(state.get(m[1], ())) for m in mops}
            yield Op(i, i, "invoke", p, "txn", mops)
            phase[p] = 1
        elif ph == 1:
            out = []
            own: dict[int, list[int]] = {}  # si: the txn's own appends, visible to itself
            for f, k, v in txn[p]:
                if f == "append":
                    if mode != "si":
                        state.setdefault(k, []).append(v)
                    own.setdefault(k, []).append(v)
                    out.append(["append", k, v])
                elif mode == "si":
                    out.append(["r", k, [*snap[p][k], *own.get(k, ())]])
                else:
                    out.append(["r", k, list(state.get(k, ()))])
            txn[p] = out
            phase[p] = 2
            continue
        else:
            outcome = "ok"
            if mode == "si":
                written = {k for f, k, _ in txn[p] if f == "append"}
                if any(len(state.get(k, ())) != len(snap[p][k]) for k in written):
                    outcome = "fail"  # first committer wins
                else:
                    for f, k, v in txn[p]:
                        if f == "append":
                            state.setdefault(k, []).append(v)
            yield Op(i, i, outcome, p, "txn", txn[p])
            done += 1
            phase[p] = 0
        i += 1


def one(n: int, mode: str, models: tuple[str, ...]) -> dict[str, Any]:
    t0 = time.perf_counter()
    h = History(op.with_(index=j, time=j) for j, op in enumerate(simulate(n, 1, mode)))
    import scipy.sparse.csgraph  # noqa: F401  (its import, ~1 s, is not the checker's work)

    t1, c1 = time.perf_counter(), time.process_time()
    r = make_checker("list-append", CheckConfig(consistency_models=models)).check(h)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "txns": n, "ops": len(h), "mode": mode, "generate_s": round(t1 - t0, 2),
        "check_s": round(t2 - t1, 2), "check_cpu_s": round(c2 - c1, 2),
        "txn_per_s": round(n / (t2 - t1)),
        "valid": r.valid, "anomalies": r.data["anomaly_counts"], "edges": r.data["edges"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--mode", default="serial", choices=("serial", "si"))
    ap.add_argument("--models", default="strict-serializable")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    models = tuple(a.models.split(","))
    if a.one is not None:
        print(json.dumps(one(a.one, a.mode, models)))
        return
    for n in (int(x) for x in a.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--mode", a.mode,
                              "--models", a.models], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(f"{r['txns']:>9,} txns {r['ops']:>10,} ops  generate {r['generate_s']:6.1f} s  "
              f"check {r['check_s']:6.1f} s (CPU {r['check_cpu_s']:5.1f} s, {r['txn_per_s']:>7,} "
              f"txn/s)  peak RSS "
              f"{r['peak_rss_mib']:>5,} MiB  edges {r['edges']:>10,}  valid {r['valid']}  "
              f"{r['anomalies']}", flush=True)


if __name__ == "__main__":
    main()
