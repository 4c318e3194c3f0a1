"""``isolde soak``: the soak's own options; every other option is ``isolde run``'s."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import UsageError
from ..checkers import exit_code
from ..harness import Scenario, link_latest, new_run_dir, signal_exit_code, write_json
from ..report import write_junit
from ._plan import SoakPlan, parse_duration
from ._soak import Say, Soak, prepare
from ._state import SoakState, compare_baseline, read_soak_json, recover, segment_records

if TYPE_CHECKING:  # matplotlib: imported only when a report is drawn
    from ..report.html import RunFlags


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _fraction(text: str) -> float:
    s = text.strip()
    try:
        v = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction like 0.2 or 20%, got {text!r}")\
            from None
    if not 0 <= v < 1e6:
        raise argparse.ArgumentTypeError(f"must be a non-negative fraction, got {text!r}")
    return v


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got {text!r}")
    return int(text)


def add_soak_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("soak (every `isolde run` option is taken as well)")
    g.add_argument("--time-limit", type=_duration, default=None, metavar="DURATION",
                   help="length of the soak: 8h, 10m, 30s or seconds (default: 1h)")
    g.add_argument("--segment", type=_duration, default="10m", metavar="DURATION",
                   help="length of a segment: 10m, 30s or seconds")
    g.add_argument("--resume", type=Path, default=None, metavar="DIR",
                   help="continue a killed soak from its run directory")
    g.add_argument("--on-anomaly", default=None, metavar="CMD",
                   help="shell command run once per newly invalid segment, with the path of "
                   "its results.json as last argument")
    g.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                   help="a previous soak's run directory to compare with")
    g.add_argument("--regression-threshold", type=_fraction, default="20%", metavar="FRACTION",
                   help="a p99 up by more than this (0.2 or 20%%) is a regression")
    g.add_argument("--check-workers", type=_workers, default="1", metavar="N",
                   help="processes checking closed segments")


def _resumed(a: argparse.Namespace, extra: list[str]) -> tuple[argparse.Namespace, list[str],
                                                               dict[str, Any]]:
    """The options the killed soak started with (a resume goes on as it started)."""
    given = [k for k in ("time_limit", "baseline", "on_anomaly") if getattr(a, k) is not None]
    if extra or given:
        raise UsageError("isolde soak: --resume takes no other option (the soak goes on with "
                         "the options it started with)")
    previous = read_soak_json(a.resume)
    argv = previous.get("argv")
    if not isinstance(argv, list):
        raise UsageError(f"{a.resume / 'soak.json'}: no argv to resume with")
    p = argparse.ArgumentParser(prog="isolde soak", add_help=False)
    add_soak_options(p)
    again, again_extra = p.parse_known_args(argv)
    again.resume = a.resume
    return again, again_extra, previous


def soak_command(a: argparse.Namespace, extra: list[str],
                 scenario_of: Callable[[list[str]], tuple[Scenario, Path | None]],
                 run_flags: RunFlags, say: Say) -> int:
    """Run (or resume) a soak; the exit code is the worst segment's verdict, 1 for a
    regression against --baseline, 128 + the signal's number when a signal cut it short.
    ``scenario_of(run_argv)``: the scenario of those ``isolde run`` options and their
    ``--junit`` file, both checked before any load; ``run_flags(store, workload)``:
    ``isolde run``'s flags (each segment's report rebuilds its command from them)."""
    previous = None
    if a.resume is not None:
        a, extra, previous = _resumed(a, extra)
    argv = [*extra, *_own_argv(a)]
    total = a.time_limit or 3600.0
    scenario, junit = scenario_of(extra)
    scenario = dataclasses.replace(scenario, time_limit=total)
    baseline = read_soak_json(a.baseline) if a.baseline is not None else None
    names, store, nemesis = prepare(scenario)
    if previous is None:
        run_dir = new_run_dir(scenario.store_dir, f"soak-{scenario.workload}", scenario.store)
    else:
        run_dir = a.resume
    plan = SoakPlan(scenario=scenario, total_s=total, segment_s=a.segment,
                    run_dir=run_dir, argv=tuple(argv), on_anomaly=a.on_anomaly,
                    check_workers=a.check_workers,
                    run_flags=run_flags(scenario.store, scenario.workload))
    state = SoakState(plan)
    to_check = recover(state, previous) if previous is not None else []
    soak = Soak(state, names, store, nemesis, say)
    handler = _log_to(run_dir / "soak.log")
    try:
        if previous is None:
            write_json(run_dir / "scenario.json", scenario.to_json())
            link_latest(run_dir)
        state.save()
        start = max(state.segments, default=-1) + 1
        say(f"soak {run_dir}: {plan.segments} segments of {plan.segment_s:g}s"
            + (f", resuming at segment {start}" if previous is not None else ""))
        soak.run(start, to_check)
    finally:
        logging.getLogger("isolde").removeHandler(handler)
        handler.close()
    records = segment_records(state)  # a testsuite per segment, a testcase per checker
    for path in (run_dir / "junit.xml", junit):
        if path is not None:
            write_junit(path, records)
    return _finish(state, baseline, a, say)


def _own_argv(a: argparse.Namespace) -> list[str]:
    out = ["--segment", repr(a.segment), "--check-workers", str(a.check_workers),
           "--regression-threshold", repr(a.regression_threshold)]
    if a.time_limit is not None:
        out += ["--time-limit", repr(a.time_limit)]
    if a.on_anomaly is not None:
        out += ["--on-anomaly", a.on_anomaly]
    if a.baseline is not None:
        out += ["--baseline", str(a.baseline.resolve())]
    return out


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("isolde").addHandler(handler)
    logging.getLogger("isolde").setLevel(logging.INFO)
    return handler


def _finish(state: SoakState, baseline: dict[str, Any] | None, a: argparse.Namespace,
            say: Say) -> int:
    regressions: list[dict[str, Any]] = []
    if baseline is not None:
        state.baseline = compare_baseline(state.to_json(), baseline, a.regression_threshold,
                                          str(a.baseline))
        regressions = state.baseline["regressions"]
        state.save()
    checked = sum(1 for e in state.segments.values() if "valid" in e)
    verdict = {True: "VALID", False: "INVALID"}.get(state.valid, "UNKNOWN")
    say(f"soak {state.plan.run_dir}: {checked} segments checked, worst verdict {verdict}")
    for r in regressions:
        if r["metric"] == "anomaly-type":
            say(f"regression: new anomaly type {r['new']} (not in {a.baseline})")
        else:
            say(f"regression: {r['metric']} {r['now']:.2f} vs {r['baseline']:.2f} in the "
                f"baseline (more than {a.regression_threshold:.0%} up)")
    if state.interrupted_by is not None:
        say(f"interrupted by {state.interrupted_by}: continue with isolde soak --resume "
            f"{state.plan.run_dir}")
        return signal_exit_code(signal.Signals[state.interrupted_by])
    code = exit_code(state.valid)
    return 1 if code == 0 and regressions else code
