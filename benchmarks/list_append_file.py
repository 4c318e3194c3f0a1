"""Benchmark: ``isolde check --checker list-append FILE`` end to end, as users run it.

``generate`` writes a list-append JSONL history of N transactions (the simulation of
``benchmarks/isolation.py``: 8 processes, 3-5 micro-ops per transaction, half appends, rolling
keys of at most 32 appends) streaming, so a 10M-transaction file (~3.5 GB) needs little memory.
``run`` times ``isolde check`` on such a file with each code tree given (``--tree``: a checkout
whose ``isolde`` package is put first on ``sys.path``), alternating the trees round by round so
that a loaded machine's noise falls on both alike; it prints wall time, CPU time and the peak
RSS of each check (the child's ru_maxrss) and its verdict. Asserts nothing about time.

    python benchmarks/list_append_file.py generate --txns 1000000 --out /tmp/la-1m.jsonl
    python benchmarks/list_append_file.py run /tmp/la-1m.jsonl --tree . --tree ../base --rounds 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _sidebyside import add_run_parser, alternating  # sibling scripts, not a package
from isolation import simulate


def generate(n_txns: int, out: Path, mode: str, seed: int) -> int:
    """Write the history; return its number of ops. Times are the op's position, in ns."""
    count = 0
    with open(out, "wb") as fh:
        buf: list[bytes] = []
        for i, op in enumerate(simulate(n_txns, seed, mode)):
            buf.append(orjson.dumps({"index": i, "time": i * 1000, "type": op.type,
                                     "process": op.process, "f": op.f, "value": op.value}))
            if len(buf) >= 10_000:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
            count = i + 1
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    return count


def check_once(path: Path, tree: Path, extra: list[str]) -> dict[str, object]:
    """One ``isolde check`` in a fresh process running ``tree``'s code."""
    # First on sys.path (PYTHONPATH would lose to the editable install's import hook).
    run = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
           "runpy.run_module('isolde', run_name='__main__')")
    cmd = [sys.executable, "-c", run, str(tree.resolve()), "check", "--checker",
           "list-append", "--json", *extra, str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        valid = json.loads(p.stdout)["valid"]
    except (ValueError, KeyError, TypeError):
        valid = f"exit {p.returncode}: {p.stderr.strip()[-200:]}"
    # ru_maxrss of children is the largest of any child so far: run each check in its own
    # `run` invocation (or read the peak from the first round) when comparing peaks.
    return {"tree": str(tree), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "peak_rss_mib": round(after.ru_maxrss / 1024), "valid": valid}


def _peak_child(path: Path, tree: Path, extra: list[str]) -> dict[str, object]:
    """check_once in a fresh grandchild, so that each peak RSS is that check's own."""
    code = ("import json,sys; sys.path.insert(0, sys.argv[1]); from list_append_file import "
            "check_once; from pathlib import Path; print(json.dumps(check_once(Path(sys.argv[2]),"
            " Path(sys.argv[3]), sys.argv[4:])))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(path),
                          str(tree), *extra], capture_output=True, text=True, check=True)
    r: dict[str, object] = json.loads(out.stdout)
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--txns", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--mode", default="serial", choices=("serial", "si"))
    g.add_argument("--seed", type=int, default=1)
    r = add_run_parser(sub)
    r.add_argument("extra", nargs="*", help="more `isolde check` options (after --)")
    a = ap.parse_args()
    if a.cmd == "generate":
        t0 = time.perf_counter()
        n = generate(a.txns, a.out, a.mode, a.seed)
        print(f"{n:,} ops, {a.out.stat().st_size / 1e6:,.0f} MB in "
              f"{time.perf_counter() - t0:.1f} s")
        return
    for rnd, tree in alternating(a.tree, a.rounds):
        print(json.dumps({"round": rnd, **_peak_child(a.path, tree, a.extra)}), flush=True)


if __name__ == "__main__":
    main()
