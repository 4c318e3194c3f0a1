"""``isolde report PATH...``: write report.html for run directories or checked histories."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import UsageError

if TYPE_CHECKING:
    from .html import RunFlags


def add_report_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="write report.html for a run directory or a history",
                       description="Write a self-contained report.html (no network needed to "
                       "open it) for each run directory, or for a history file with its "
                       "results.json beside it (or --results).")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="a run directory (store/latest...) or a history file")
    p.add_argument("--results", type=Path, default=None, metavar="FILE",
                   help="the results JSON (default: results.json beside the history)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="where to write the page (default: report.html beside the history)")


def run_report(a: argparse.Namespace, run_flags: RunFlags,
        say: Callable[[str], None]) -> int:
    """Write each page and print its path; bad input stops before anything is written."""
    from .html import load_report_input, write_report  # matplotlib: only when drawing

    if len(a.paths) > 1 and (a.results or a.out):
        raise UsageError("isolde report: --results and --out take one PATH only")
    loaded = [load_report_input(p, a.results, run_flags) for p in a.paths]
    for inp, out in loaded:
        say(f"report: {write_report(a.out or out, inp)}")
    return 0
