"""Checking a closed segment in a worker process, and the summary soak.json keeps of it."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..checkers import CheckConfig, run_checkers
from ..harness import write_json
from ..histories import History, load_history
from ..report import check_results, write_junit

if TYPE_CHECKING:  # matplotlib: imported only when a report is drawn
    from ..report.html import RunFlag

CHECKED_LINE = "checked segment {index:04d}"


def init_worker(soak_pid: int) -> None:
    """A check worker yields the CPU to the load (niceness 10), leaves Ctrl-C to the soak, and
    dies with it: a kill -9 of the soak must not leave a check running that a resume repeats."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)
    threading.Thread(target=_exit_with, args=(soak_pid,), daemon=True).start()


def _exit_with(soak_pid: int) -> None:
    # Polling the parent works on every platform (PR_SET_PDEATHSIG is Linux's, and is tied to
    # the thread that started the worker, which in a process pool is not always the main one).
    while os.getppid() == soak_pid:
        time.sleep(0.2)
    os._exit(1)


def check_segment(seg_dir: Path, index: int, names: list[str], config: CheckConfig,
                  log_path: Path, run_flags: Mapping[str, RunFlag]) -> dict[str, Any]:
    """Check ``seg_dir/history.jsonl`` with ``names``: write results.json, junit.xml and
    report.html there, log the check once, and return the segment's summary."""
    started = time.monotonic()
    history = load_history(seg_dir / "history.jsonl", "jsonl")
    results = check_results(history, run_checkers(history, names, config))
    write_json(seg_dir / "results.json", results)
    write_junit(seg_dir / "junit.xml", [{"path": str(seg_dir / "history.jsonl"), **results}])
    _segment_report(seg_dir, results, history, run_flags, log_path)
    with open(log_path, "a") as log:  # one write: a line the test counts per segment
        log.write(CHECKED_LINE.format(index=index) + f" in {time.monotonic() - started:.1f}s\n")
    summary = summarize(results)
    # Drawing the report leaves the history in reference cycles (frames of caught exceptions):
    # collected now, not at the next segment's load, or the idle worker holds a whole segment
    # (8.5 M blocks, 600 MB for 1 M ops) between checks.
    del history, results
    gc.collect()
    return summary


def _segment_report(seg_dir: Path, results: dict[str, Any], history: History,
                    run_flags: Mapping[str, RunFlag], log_path: Path) -> None:
    """The segment's report.html. A page that cannot be drawn is a line in soak.log: the
    verdict and results.json stand without it."""
    from ..report.html import REPORT_FILE, ReportInput, write_report  # matplotlib: here only

    scenario = seg_dir / "scenario.json"
    try:
        inp = ReportInput(results=results, history=history, source=str(seg_dir),
                          scenario=orjson.loads(scenario.read_bytes()) if scenario.exists()
                          else None, run_flags=run_flags)
        write_report(seg_dir / REPORT_FILE, inp)
    except Exception as e:
        with open(log_path, "a") as log:
            log.write(f"{seg_dir / REPORT_FILE} not written: {type(e).__name__}: {e}\n")


def write_trend_page(run_dir: Path, soak: dict[str, Any]) -> None:
    """The soak's trend.html (in a check worker: the soak's own process keeps matplotlib out)."""
    from ..report.html import REPORT_FILE, write_trend

    try:
        write_trend(run_dir, soak, REPORT_FILE)
    except Exception as e:
        with open(run_dir / "soak.log", "a") as log:
            log.write(f"{run_dir / 'trend.html'} not written: {type(e).__name__}: {e}\n")


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """What soak.json keeps of a segment's results: verdict, ops, throughput, latency p50/p99
    per operation, anomaly counts, and staleness percentiles when staleness was measured."""
    stats = results.get("stats") or {}
    out: dict[str, Any] = {
        "valid": results["valid"],
        "ops": stats.get("ops", 0),
        "ops_per_s": stats.get("ops_per_s"),
        "latency_ms": {f: {"p50": q["p50"], "p99": q["p99"]}
                       for f, q in (stats.get("latency_ms") or {}).items()},
        "anomaly_types": results.get("anomaly_types", []),
        "anomaly_counts": results.get("anomaly_counts", {}),
    }
    staleness = results["checkers"].get("staleness")
    if staleness and "time_staleness_ms" in staleness:
        t = staleness["time_staleness_ms"]
        out["staleness_ms"] = {"p50": t["p50"], "p99": t["p99"], "max": t["max"]}
        out["stale_fraction"] = staleness.get("stale_fraction")
    return out
