"""Linearizability checker timings on Porcupine's corpus (in process, after parsing).

Usage: ``python benchmarks/linearizability.py [CORPUS_DIR] [--repeat N] [--big]``. Prints the
total check time of the 102 etcd logs, the hardest files, kv c50-ok and c50-bad, each the best
of N runs (default 3) in CPU seconds of this process (the machine is shared, so wall time is
noisy), beside Porcupine v1.3.0's figures on this machine class (the corpus's
``porcupine-times.tsv``), and how many etcd files took no longer than Porcupine's (with the
slowest of those that did). ``--big`` also records a
100,000-op register history (50 keys, 20 processes, memory store, strong reads) through the
harness and times its check (wall time; default workers, and one worker). Asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from isolde.checkers import CheckConfig
from isolde.checkers.linearizable import LinearizableChecker
from isolde.harness import Scenario, run_scenario
from isolde.histories import History, load_history

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "porcupine"
HARD = ["etcd_002", "etcd_007", "etcd_057", "etcd_099"]
SHOW_OVER = 8  # etcd files slower than Porcupine's, named in the output


def porcupine_times(corpus: Path) -> dict[str, float]:
    """File stem -> Porcupine's recorded check time (seconds), from the corpus's table."""
    rows = (ln.split("\t") for ln in
            (corpus / "porcupine-times.tsv").read_text().splitlines()[1:])
    return {Path(r[0]).stem: float(r[3]) for r in rows if len(r) == 4 and r[3] != "NA"}


def _time(h: History, repeat: int) -> tuple[float, object]:
    best, valid = float("inf"), None
    checker = LinearizableChecker(CheckConfig(workers=1))
    for _ in range(repeat):
        t0 = time.process_time()
        valid = checker.check(h).valid
        best = min(best, time.process_time() - t0)
    return best, valid


def big(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        s = Scenario(max_ops=100_000, time_limit=600, concurrency=20, store_dir=Path(d),
                     store_options={"latency_ms": 0.5},
                     workload_options={"keys": 50, "ops_per_key": 2000}, checkers=("stats",))
        t0 = time.perf_counter()
        out = run_scenario(s)
        print(f"100k-op history recorded in {time.perf_counter() - t0:.1f} s")
        h = load_history(out.history_path)
    for workers in (None, 1):
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = LinearizableChecker(CheckConfig(workers=workers)).check(h)
            best = min(best, time.perf_counter() - t0)
        print(f"  check ({r.data['workers']} worker(s), {r.data['partitions']} keys): "
              f"{best:.2f} s wall, valid={r.valid}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="also the 100k-op harness history")
    a = ap.parse_args()
    etcd = sorted((a.corpus / "jepsen").glob("etcd_*.log"))
    etcd = [p for p in etcd if p.stat().st_size > 0]  # etcd_095 is empty
    ref = porcupine_times(a.corpus)
    times: dict[str, float] = {}
    for p in etcd:
        times[p.stem], _ = _time(load_history(p), a.repeat)
    total = sum(times.values())
    slowest = max(times, key=lambda k: times[k])
    print(f"etcd: {len(etcd)} files, total {total:.3f} s "
          f"(Porcupine {sum(ref[k] for k in times):.3f} s); "
          f"slowest {slowest} {times[slowest]*1e3:.1f} ms")
    over = sorted((k for k in times if times[k] > ref[k]), key=lambda k: -ref[k])
    print(f"  {len(times) - len(over)} of {len(times)} files no slower than Porcupine; "
          "slower: " + ", ".join(f"{k} {times[k]*1e3:.2f} ms (Porcupine {ref[k]*1e3:.2f})"
                                 for k in over[:SHOW_OVER])
          + (f" and {len(over) - SHOW_OVER} more" if len(over) > SHOW_OVER else ""))
    for name in HARD:
        print(f"  {name}: {times[name]*1e3:.1f} ms (Porcupine {ref[name]*1e3:.1f} ms)")
    for name in ("c50-ok", "c50-bad"):
        t, valid = _time(load_history(a.corpus / "kv" / f"{name}.txt"), a.repeat)
        print(f"kv {name}: {t*1e3:.1f} ms, valid={valid} (Porcupine {ref[name]*1e3:.1f} ms)")
    if a.big:
        big(a.repeat)


if __name__ == "__main__":
    main()
