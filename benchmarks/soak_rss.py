"""RSS of ``isolde soak`` over a long run: flat after warm-up?

Starts ``isolde soak`` (the arguments after ``--``; by default an hour on the memory store with
faults, 5-minute segments), samples every ``--every`` seconds the resident set of the soak
process (harness + embedded store) and, separately, of its check workers and of an emulator it
started (DynamoDB Local's JVM, dynalite's node), prints the samples,
then the soak process's RSS at the end of ``--warmup`` and at the end, and the growth between.
Asserts nothing (the issue's bar: < 10 % growth after warm-up over an hour).

    python benchmarks/soak_rss.py [--every 30] [--warmup 300] [-- isolde soak arguments...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SOAK = ["--time-limit", "1h", "--segment", "5m", "--nemesis",
                "partition,pause,latency,lost-response,lag-spike", "--nemesis-interval", "10",
                "--op-timeout", "1", "--read-consistency", "mixed"]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except FileNotFoundError:
        return []


EMULATORS = ("java", "node")  # process names of the emulators a soak may start


def descendants(pid: int) -> list[int]:
    out, todo = [], children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    ap.add_argument("--warmup", type=float, default=300.0, help="seconds of warm-up")
    ap.add_argument("soak", nargs="*", help="isolde soak arguments (after --)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "isolde", "soak", "--store-dir", str(Path(d) / "store"),
               *(a.soak or DEFAULT_SOAK)]
        print(" ".join(cmd[1:]))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        samples: list[tuple[float, float, float]] = []
        print(f"{'t s':>7} {'soak RSS MB':>12} {'checkers RSS MB':>16} {'emulator RSS MB':>16}")
        while proc.poll() is None:
            time.sleep(a.every)
            t = time.monotonic() - t0
            mine = rss_mb(proc.pid)
            kids = descendants(proc.pid)
            emulator = sum(rss_mb(c) for c in kids if comm(c) in EMULATORS)
            workers = sum(rss_mb(c) for c in kids if comm(c) not in EMULATORS)
            if mine:
                samples.append((t, mine, workers))
                print(f"{t:7.0f} {mine:12.1f} {workers:16.1f} {emulator:16.1f}", flush=True)
        print(f"exit {proc.returncode}")
        soak = json.loads(next((Path(d) / "store").glob("soak-*/latest/soak.json")).read_text())
        ops = sum(e.get("ops", 0) for e in soak["segments"])
        print(f"{len(soak['segments'])} segments, {ops:,} ops, "
              f"{ops / soak['time_limit_s']:,.0f} ops/s over the soak")
    warm = [s for s in samples if s[0] >= a.warmup]
    if len(warm) >= 2:
        start, end, peak = warm[0][1], warm[-1][1], max(s[1] for s in warm)
        print(f"soak RSS after warm-up {start:.1f} MB, at the end {end:.1f} MB, peak {peak:.1f}"
              f" MB: growth {100 * (end / start - 1):+.1f} % (peak {100 * (peak / start - 1):+.1f}"
              f" %) over {warm[-1][0] - warm[0][0]:.0f} s; pid {os.getpid()} done")


if __name__ == "__main__":
    main()
