"""The ``isolde`` command: ``run`` a scenario, ``check`` history files.

Exit codes (Jepsen's): 0 valid, 1 invalid, 2 unknown, 254 bad input or usage, 255 internal error.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import orjson
from rich.console import Console

from ._errors import BadInput, IsoldeError, UsageError
from .checkers import (
    CheckConfig,
    default_checkers,
    exit_code,
    op_kinds,
    refuse_unjudgeable,
    run_checkers,
)
from .harness import (
    MIXED,
    READ_MODES,
    Audited,
    Scenario,
    check_read_consistency,
    make_store,
    positive_float,
    positive_int,
    prepare_audit,
    whole_number,
)
from .harness._plugin_cli import (
    check_applicable,
    describe_stores,
    plugin_flags,
    store_options,
    unrecognized,
    workload_common,
    workload_options,
)
from .histories import READERS, load_history
from .workloads import WorkloadOptions

EXIT_BAD_INPUT = 254
EXIT_INTERNAL = 255
# Worst-first ranking for combining several paths: internal > bad input > invalid > unknown > ok.
_SEVERITY = {0: 0, 2: 1, 1: 2, EXIT_BAD_INPUT: 3, EXIT_INTERNAL: 4}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.I)


def parse_size(s: str) -> int:
    """``512M``, ``2GiB``, ``1000000`` -> bytes."""
    m = _SIZE.match(s)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a size like 512M or 2G, got {s!r}")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
    return int(float(m.group(1)) * mult)


def _csv(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


def _sla(s: str) -> str:
    from .checkers._sla import parse_sla

    try:
        parse_sla(s)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--staleness-sla: ")) from None
    return s


def _time_budget(s: str) -> float | None:
    """Seconds, or ``none`` for no limit."""
    return None if s.strip().lower() in ("none", "0", "unlimited") else positive_float(s)


# `isolde run` always ends with a verdict: a check that would outlast this (linearizability of a
# history full of crashed ops can) ends "unknown" instead. `isolde check` waits unless told.
RUN_CHECK_TIME_LIMIT = 300.0


def _add_check_options(p: argparse.ArgumentParser, time_limit: float | None = None) -> None:
    g = p.add_argument_group("checking")
    g.add_argument("--checker", type=_csv, default=None,
                   help="checkers to run, comma-separated (default: chosen by workload/content)")
    g.add_argument("--model", default=None, help="linearizability model (e.g. cas-register)")
    g.add_argument("--check-time-limit", type=_time_budget, default=time_limit, metavar="SEC",
                   help="time budget per check; exceeding it gives 'unknown' ('none': no limit;"
                   f" default {time_limit or 'none'})")
    g.add_argument("--memory-limit", type=parse_size, default=None, metavar="SIZE",
                   help="memory budget per check (e.g. 2G); exceeding it gives 'unknown'")
    g.add_argument("--consistency-models", type=_csv, default=(),
                   help="isolation models that must hold (default strict-serializable)")
    g.add_argument("--staleness-sla", type=_sla, default=None,
                   help="make staleness a gate, e.g. p99=500ms,max=2s")
    g.add_argument("--details", action="store_true",
                   help="write per-item detail files (e.g. staleness.jsonl) beside the results")


def _check_config(a: argparse.Namespace, out_dir: Path | None = None,
                  options: dict[str, Any] | None = None) -> CheckConfig:
    return CheckConfig(
        time_limit=a.check_time_limit,
        memory_limit=a.memory_limit,
        model=a.model,
        consistency_models=tuple(a.consistency_models),
        staleness_sla=a.staleness_sla,
        details=a.details,
        out_dir=out_dir,
        options=options or {},
    )


def build_parser(store: str | None = None,
                 workload: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``isolde run`` gets the flags of ``store`` and ``workload`` when given."""
    p = _Parser(prog="isolde", description="Consistency checker and test harness for data stores.")
    p.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser(
        "run", help="run a workload against a store and check the history",
        epilog="The store and workload groups are those of --store and --workload: "
               "`isolde run --store S --workload W --help` shows theirs; `isolde stores` lists "
               "the stores.")
    r.add_argument("--store", default="memory", help="store to test (default: memory)")
    r.add_argument("--workload", default="register", help="workload (default: register)")
    r.add_argument("--nemesis", type=_csv, default=(),
                   help="faults, comma-separated (see README: Faults)")
    r.add_argument("--nemesis-interval", type=positive_float, default=3.0, metavar="SEC",
                   help="seconds each fault lasts, and between faults (default 3)")
    r.add_argument("--partition-via", choices=("proxy", "nftables"), default="proxy",
                   help="how a managed emulator is partitioned (nftables: root, apt nftables)")
    r.add_argument("--time-limit", type=positive_float, default=10.0, metavar="SEC",
                   help="seconds of load (default 10)")
    r.add_argument("--concurrency", type=positive_int, default=10,
                   help="logical client processes (default 10)")
    r.add_argument("--rate", type=positive_float, default=None, help="max ops/s overall")
    r.add_argument("--max-ops", type=positive_int, default=None, help="stop after N ops")
    r.add_argument("--seed", type=whole_number, default=0,
                   help="random seed (same seed, same schedule)")
    r.add_argument("--op-timeout", type=positive_float, default=5.0, metavar="SEC",
                   help="an op not done by then is recorded as info (default 5)")
    r.add_argument("--store-dir", type=Path, default=Path("store"),
                   help="where run directories go (default ./store)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="also write JUnit XML here (every run writes junit.xml in its dir)")
    # Options several workloads read (each says which: WorkloadSpec.reads); given only when set,
    # so that one the workload does not read is refused rather than ignored.
    w = r.add_argument_group("workload (common options; a workload reads some of them)")
    w.add_argument("--keys", type=positive_int, default=argparse.SUPPRESS,
                   help="keys in play at once (default 5)")
    w.add_argument("--ops-per-key", type=positive_int, default=argparse.SUPPRESS,
                   help="ops on a key before moving to a fresh one (default 200)")
    w.add_argument("--read-consistency", type=check_read_consistency,
                   default=argparse.SUPPRESS,
                   help=f"{'|'.join((*READ_MODES, MIXED))} (default strong)")
    if store is not None and workload is not None:
        plugin_flags(r, store, workload)
    _add_check_options(r, RUN_CHECK_TIME_LIMIT)

    sub.add_parser("stores", help="the stores: capabilities, read modes, faults, what is "
                   "installed")

    c = sub.add_parser("check", help="check history files")
    c.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    c.add_argument("--format", default="auto",
                   help=f"auto|{'|'.join(sorted(READERS))} (default auto)")
    c.add_argument("--json", action="store_true", help="one JSON object per path on stdout")
    c.add_argument("--out", type=Path, default=None,
                   help="write full results JSON here (a list when several paths)")
    c.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="write JUnit XML here (one testsuite per path)")
    c.add_argument("--bounded-versions", type=positive_int, default=10,
                   help="the bound bounded reads promised: versions behind (default 10)")
    c.add_argument("--bounded-ms", type=positive_float, default=100.0,
                   help="the bound bounded reads promised: ms behind (default 100)")
    _add_check_options(c)

    from .harness.emulators._cli import add_parser as add_emulator_parser

    add_emulator_parser(sub)
    return p


def cmd_run(a: argparse.Namespace, console: Console) -> int:
    from .harness._scenario import build_nemesis, run_scenario
    from .report import render_summary, write_junit

    scenario = run_scenario_from_args(a)
    store = make_store(scenario.store, scenario.store_options, scenario.store_context())
    audited = store if isinstance(store, Audited) else None
    if audited is not None:  # it costs money: plan, estimate, --yes, cap
        build_nemesis(scenario, store)  # a fault it cannot take is refused before the plan
        scenario = prepare_audit(scenario, audited, _say(console))
    progress = None if a.no_progress or not console.is_terminal else _progress(console, a)
    try:
        outcome = run_scenario(scenario, on_progress=progress[1] if progress else None,
                               store=store)
    finally:
        if progress:
            progress[0].stop()
        if audited is not None:
            _say(console)(audited.audit_report())
    render_summary(outcome.results, console, title=f"{outcome.run_dir}\n")
    record = {"path": str(outcome.history_path), **outcome.results}
    write_junit(outcome.run_dir / "junit.xml", [record])
    if a.junit:
        write_junit(a.junit, [record])
    return exit_code(outcome.valid)


def run_scenario_from_args(a: argparse.Namespace) -> Scenario:
    """The Scenario of an ``isolde run`` command line (options checked, defaults filled in)."""
    common = workload_common(a)
    check_applicable(a, set(common))
    wo = dataclasses.replace(WorkloadOptions(), **common)
    return Scenario(
        store=a.store, workload=a.workload, nemesis=tuple(a.nemesis),
        nemesis_interval=a.nemesis_interval,
        nemesis_options={"partition_via": a.partition_via} if a.partition_via != "proxy" else {},
        time_limit=a.time_limit, concurrency=a.concurrency, rate=a.rate, max_ops=a.max_ops,
        seed=a.seed, op_timeout=a.op_timeout, store_dir=a.store_dir,
        store_options=store_options(a),
        workload_options={"keys": wo.keys, "ops_per_key": wo.ops_per_key,
                          "read_consistency": wo.read_consistency,
                          "options": workload_options(a)},
        checkers=a.checker, check=_check_config(a),
    )


def _say(console: Console) -> Any:
    """Print plain text (no rich markup: paths and names may contain brackets)."""
    return lambda text: console.print(text, markup=False, highlight=False, soft_wrap=True)


def _progress(console: Console, a: argparse.Namespace) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[stats]}"), console=console, transient=True)
    task = prog.add_task(f"{a.workload} on {a.store}", total=a.time_limit, stats="")
    prog.start()

    def update(c: Any, elapsed: float) -> None:
        rate = c.invoked / elapsed if elapsed > 0 else 0
        prog.update(task, completed=min(elapsed, a.time_limit),
                    stats=f"{rate:,.0f} ops/s  ok {c.ok}  fail {c.fail}  info {c.info}")

    return prog, update


def cmd_stores(say: Any) -> int:
    for line in describe_stores():
        say(line)
    return 0


def cmd_check(a: argparse.Namespace, console: Console) -> int:
    from .report import check_results, render_summary, write_junit

    worst = 0
    collected: list[dict[str, Any]] = []
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for path in a.paths:
        try:
            history = load_history(path, a.format)
            names = list(a.checker) if a.checker else default_checkers(history)
            refuse_unjudgeable(names, op_kinds(history), str(path))
            # Detail files go beside --out (one path checked) or else beside the history.
            out_dir = a.out.parent if a.out and len(a.paths) == 1 else path.parent
            results = check_results(
                history, run_checkers(history, names, _check_config(
                    a, out_dir,
                    # the bound bounded reads promised, for the read-promises checker (a run
                    # takes it from the store: Promising)
                    {"bounded_versions": a.bounded_versions, "bounded_ms": a.bounded_ms})))
            code = exit_code(results["valid"])
        except BadInput as e:
            err.print(f"isolde: error: {e}", markup=False)
            code, results = e.exit_code, {"valid": None, "error": str(e)}
        record = {"path": str(path), "valid": results["valid"],
                  "anomaly_types": results.get("anomaly_types", []),
                  "checkers": results.get("checkers", {})}
        for k in ("anomaly_counts", "faults", "error"):  # anomalies' fault_windows index faults
            if k in results:
                record[k] = results[k]
        collected.append(record)
        if a.json:
            sys.stdout.buffer.write(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) + b"\n")
            sys.stdout.flush()
        elif "error" not in results:
            render_summary(results, console, title=f"{path}: ")
        if _SEVERITY[code] > _SEVERITY[worst]:
            worst = code
    if a.junit:
        write_junit(a.junit, collected)
    if a.out:
        data: Any = collected[0] if len(collected) == 1 else collected
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return worst


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse with the flags of the store and workload the command line names."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--store", default="memory")
    pre.add_argument("--workload", default="register")
    chosen, _ = pre.parse_known_args(argv)
    # Only a run loads plugins: `isolde check` works without any store installed.
    parser = build_parser(chosen.store, chosen.workload) if "run" in argv else build_parser()
    a, rest = parser.parse_known_args(argv)
    if rest:
        raise UsageError(unrecognized(a, rest))
    return a


def _console_logging() -> None:
    """Warnings and errors to stderr; INFO goes only to each run's isolde.log."""
    root = logging.getLogger()
    if not any(getattr(h, "_isolde", False) for h in root.handlers):
        h = logging.StreamHandler()
        h.setLevel(logging.WARNING)
        h.setFormatter(logging.Formatter("isolde: %(levelname)s: %(message)s"))
        h._isolde = True  # type: ignore[attr-defined]
        root.addHandler(h)


def main(argv: list[str] | None = None) -> int:
    console = Console(highlight=False)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    _console_logging()
    args = sys.argv[1:] if argv is None else argv
    try:
        a = parse_args(args)
        if a.command == "run":
            return cmd_run(a, console)
        if a.command == "stores":
            return cmd_stores(_say(console))
        if a.command == "emulator":
            from .harness.emulators._cli import run as run_emulator_command

            return run_emulator_command(a, _say(console))
        return cmd_check(a, console)
    except IsoldeError as e:
        print(f"isolde: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("isolde: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug:
            raise
        print(f"isolde: internal error: {type(e).__name__}: {e} (rerun with --debug)",
              file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())
