"""Benchmark: ``isolde check FILE`` of a harness-recorded register history, end to end and by
phase.

``generate`` records the history with the harness itself: ``isolde run`` on the embedded store,
register workload, ``--keys 50 --ops-per-key OPS/50`` (so the history has exactly 50 keys, all
in play at once), ``--max-ops OPS``, strong reads (the default), no simulated latency, and only
the ``stats`` checker at the end of the run (the check is what is measured here). It prints the
history's path.

``run`` checks that file with each code tree given (``--tree``: a checkout put first on
``sys.path``), alternating the trees round by round so that a loaded machine's noise falls on
both alike:

- ``isolde check --json FILE`` with the default checkers, in a fresh process: wall, CPU and
  peak RSS (the child's own ``ru_maxrss``, from ``wait4``) and the verdict;
- the same steps one phase at a time in another fresh process: loading, each default checker
  on its own (``run_checkers`` with one name, in the order ``isolde check`` runs them), and
  composing the results; per phase wall, CPU (with that of the worker processes it forked)
  and the peak RSS so far (of this process or a worker).

Asserts nothing about time.

    python benchmarks/register_check.py generate --ops 1000000 --out /tmp/reg-run
    python benchmarks/register_check.py run /tmp/reg-run/latest/history.jsonl --tree . \\
        --tree ../base --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _sidebyside import add_run_parser, alternating  # a sibling script, not a package

KEYS = 50
# Runs `isolde` from the checkout in argv[1] (PYTHONPATH would lose to the editable install's
# import hook), with the rest of argv as its arguments.
RUN_ISOLDE = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
              "runpy.run_module('isolde', run_name='__main__')")


def generate(ops: int, out: Path, seed: int) -> Path:
    """Record the history with ``isolde run`` (this checkout's code); return its path."""
    cmd = [sys.executable, "-c", RUN_ISOLDE, str(Path(__file__).resolve().parent.parent), "run",
           "--store", "memory", "--workload", "register", "--keys", str(KEYS),
           "--ops-per-key", str(max(1, ops // KEYS)), "--max-ops", str(ops),
           "--time-limit", "36000", "--latency-ms", "0", "--checker", "stats",
           "--seed", str(seed), "--no-progress", "--store-dir", str(out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return (out / "latest" / "history.jsonl").resolve()


def _child_usage(cmd: list[str]) -> tuple[str, int, float, float, float]:
    """Run ``cmd``; (stdout, exit code, wall s, CPU s, peak RSS MiB) of that child alone."""
    t0 = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as p:
        assert p.stdout is not None
        out = p.stdout.read().decode()
        _pid, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return out, p.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def end_to_end(path: Path, tree: Path) -> dict[str, Any]:
    """``isolde check --json FILE`` with the default checkers, in a fresh process."""
    out, code, wall, cpu, rss = _child_usage(
        [sys.executable, "-c", RUN_ISOLDE, str(tree.resolve()), "check", "--json", str(path)])
    try:
        rec = json.loads(out)
        verdict = {"valid": rec["valid"], "checkers": sorted(rec["checkers"])}
    except (ValueError, KeyError, TypeError):
        verdict = {"valid": f"exit {code}"}
    return {"tree": str(tree), "what": "isolde check", "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "peak_rss_mib": round(rss), **verdict}


def phases(path: Path) -> None:
    """Print one JSON line per phase of ``isolde check FILE`` (this process's isolde)."""
    from isolde import load_history, run_checkers
    from isolde.checkers import CheckConfig, default_checkers
    from isolde.report import check_results

    def cpu() -> float:  # this process's and its reaped children's (linearizability's workers)
        own, kids = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t, c = time.perf_counter(), cpu()
        value = fn()
        rss = max(resource.getrusage(who).ru_maxrss
                  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
        print(json.dumps({"phase": name, "wall_s": round(time.perf_counter() - t, 2),
                          "cpu_s": round(cpu() - c, 2), "peak_rss_mib": round(rss)}),
              flush=True)
        return value

    history = timed(f"load ({path.stat().st_size / 1e6:,.0f} MB)", lambda: load_history(path))
    print(json.dumps({"events": len(history)}), flush=True)
    results: dict[str, Any] = {}
    for name in default_checkers(history):
        results.update(timed(name, lambda n=name: run_checkers(history, [n], CheckConfig())))
    timed("compose results", lambda: check_results(history, results))


def by_phase(path: Path, tree: Path) -> list[dict[str, Any]]:
    """:func:`phases` in a fresh process running ``tree``'s code."""
    code = (f"import sys; sys.path.insert(0, {str(tree.resolve())!r}); "
            f"sys.path.insert(1, {str(Path(__file__).parent)!r}); "
            "from register_check import phases; from pathlib import Path; "
            f"phases(Path({str(path)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return [{"tree": str(tree), **json.loads(line)} for line in out.splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--ops", type=int, default=1_000_000)
    g.add_argument("--out", type=Path, required=True, help="the run's --store-dir")
    g.add_argument("--seed", type=int, default=1)
    add_run_parser(sub)
    a = ap.parse_args()
    if a.cmd == "generate":
        t0 = time.perf_counter()
        h = generate(a.ops, a.out, a.seed)
        print(f"{h} ({h.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.0f} s")
        return
    for rnd, tree in alternating(a.tree, a.rounds):
        print(json.dumps({"round": rnd, **end_to_end(a.path, tree)}), flush=True)
        for row in by_phase(a.path, tree):
            print(json.dumps({"round": rnd, **row}), flush=True)


if __name__ == "__main__":
    main()
