"""Run one benchmark script against this tree and a baseline tree, alternating, in one run.

The machine this project runs on is shared, so a figure is only worth comparing with another
taken at the same time under the same load. This runs ``SCRIPT ARGS`` as a subprocess with
``PYTHONPATH`` set to each tree in turn (the script file is this tree's, so both trees run the
same measurement; it must use only isolde's public API), ``--rounds`` times, alternating which
tree goes first, prints each run's output and the load average before each.

    git worktree add --detach ../isolde-base main        # the baseline: e.g. main
    python benchmarks/side_by_side.py ../isolde-base --rounds 3 -- \\
        benchmarks/linearizability.py --repeat 3

Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def run(tree: Path, cmd: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, *cmd], cwd=HERE, env=env, capture_output=True,
                         text=True, check=False)
    return out.stdout + (f"[exit {out.returncode}] {out.stderr[-2000:]}" if out.returncode else "")


def main() -> None:
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ap = argparse.ArgumentParser(usage="%(prog)s BASELINE [--rounds N] -- SCRIPT [ARGS]")
    ap.add_argument("baseline", type=Path, help="a checkout of the code to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv[:cut])
    cmd = argv[cut + 1:]
    if not cmd:
        ap.error("no benchmark script given after --")
    trees = {"baseline": a.baseline.resolve(), "this": HERE}
    for r in range(a.rounds):
        order = ["baseline", "this"] if r % 2 == 0 else ["this", "baseline"]
        for name in order:
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"--- round {r + 1}, {name} ({trees[name]}), load average {load}", flush=True)
            print(run(trees[name], cmd), flush=True)


if __name__ == "__main__":
    main()
