"""Side by side on a loaded machine: each code tree (a checkout put first on ``sys.path``) runs
in turn, the order alternating round by round, so that the machine's noise falls on all alike;
the load average is printed before and after."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path


def add_run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]
                   ) -> argparse.ArgumentParser:
    r = sub.add_parser("run")
    r.add_argument("path", type=Path)
    r.add_argument("--tree", type=Path, action="append", required=True,
                   help="a checkout to measure (repeat: e.g. . and a worktree of main)")
    r.add_argument("--rounds", type=int, default=1)
    return r


def alternating(trees: list[Path], rounds: int) -> Iterator[tuple[int, Path]]:
    """(round, tree) in the order to run them."""
    print(f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    for rnd in range(rounds):
        for tree in trees if rnd % 2 == 0 else trees[::-1]:
            yield rnd, tree
    print(f"load average {os.getloadavg()[0]:.1f} at end", flush=True)
