"""Benchmark: report.html for a ~1M-op history — time and size (issue: ≤ 30 s, ≤ 5 MB).

The history is benchmarks/staleness.py's synthetic register history (eventual reads, so stale
reads and session anomalies are real), with a partition nemesis every 10 s of its time. Results
come from the real ``stats``, ``staleness`` and ``causal`` checkers. Two figures:

- ``write_report`` in-process with the history already in memory (what ``isolde run`` pays);
- ``isolde report RUN_DIR`` as a user runs it (reads history.jsonl and results.json first).

Prints figures; asserts nothing.

    python benchmarks/report.py [--ops 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from staleness import synthetic_history

from isolde.checkers import CheckConfig, compose, run_checkers
from isolde.histories import History, Op, write_jsonl
from isolde.nemesis import fault_summary
from isolde.report.html import REPORT_FILE, ReportInput, write_report

SECOND = 1_000_000_000


def with_partitions(h: History, every_s: float = 10.0, length_s: float = 3.0) -> History:
    """``h`` plus nemesis start/stop ops for a partition every ``every_s`` seconds."""
    end = h.times[len(h) - 1]
    nemesis = []
    t = int(every_s * SECOND)
    while t + length_s * SECOND < end:
        stop = t + int(length_s * SECOND)
        nemesis += [Op(0, t, "invoke", "nemesis", "start-partition", None),
                    Op(0, t + 1000, "ok", "nemesis", "start-partition", {"isolated": ["r1"]}),
                    Op(0, stop, "invoke", "nemesis", "stop-partition", None),
                    Op(0, stop + 1000, "ok", "nemesis", "stop-partition", None)]
        t += int(every_s * SECOND)
    ops = sorted([*h, *nemesis], key=lambda o: o.time)
    return History(op.with_(index=i) for i, op in enumerate(ops))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="write the run directory here")
    a = ap.parse_args()
    t0 = time.perf_counter()
    # 5 keys of 40,000 ops each keep the run ~1,000 s long, as a real run of 1M ops would be.
    h = with_partitions(synthetic_history(a.ops, processes=10, latency_ms=20.0))
    results = compose(run_checkers(h, ["stats", "staleness", "causal"], CheckConfig()))
    faults = fault_summary(h)
    if faults is not None:
        results["faults"] = faults
    print(f"history: {len(h):,} ops over {h.times[len(h) - 1] / SECOND:.0f} s, "
          f"{len(results['checkers']['causal'].get('anomalies', []))} causal anomalies listed, "
          f"set up in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = a.keep or Path(tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_jsonl(h, run_dir / "history.jsonl")
        import orjson

        (run_dir / "results.json").write_bytes(orjson.dumps(results,
                                                            option=orjson.OPT_NON_STR_KEYS))
        t = time.perf_counter()
        out = write_report(run_dir / REPORT_FILE, ReportInput(results=results, history=h,
                                                             source=str(run_dir)))
        inproc = time.perf_counter() - t
        print(f"write_report (history in memory): {inproc:.1f} s, "
              f"{out.stat().st_size / 1e6:.2f} MB")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "isolde", "report", str(run_dir)], check=True,
                       stdout=subprocess.DEVNULL)
        cli = time.perf_counter() - t
        print(f"isolde report RUN_DIR (reads the history): {cli:.1f} s, "
              f"{out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
