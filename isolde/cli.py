"""The ``isolde`` command: ``run`` a scenario, ``check`` history files.

Exit codes (Jepsen's): 0 valid, 1 invalid, 2 unknown, 254 bad input or usage, 255 internal error;
a run cut short by a signal exits 128 + its number (130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import signal
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, NoReturn, cast

import orjson
from rich.console import Console

from . import __version__
from ._errors import BadInput, IsoldeError, OutOfBudget, UsageError
from ._stdout import SafeStdout
from .checkers import (
    CHECKERS,
    UNKNOWN,
    CheckConfig,
    default_checkers,
    exit_code,
    make_checker,
    op_kinds,
    refuse_unjudgeable,
    run_checkers,
)
from .checkers.isolation import DEFAULT_MODELS
from .checkers.isolation import MODELS as ISOLATION_MODELS
from .checkers.linearizable import MODELS as LINEARIZABLE_MODELS
from .harness.stores import STORES
from .histories import DEFAULT_MAX_LINE, READERS, STDIN, LoadLimits, load_history
from .nemesis import FAULT_NAMES
from .workloads import WORKLOADS
from .workloads.list_append import MAX_TXN_LEN

EXIT_BAD_INPUT = 254
EXIT_INTERNAL = 255
# Worst-first ranking for combining several paths: internal > bad input > invalid > unknown > ok.
_SEVERITY = {0: 0, 2: 1, 1: 2, EXIT_BAD_INPUT: 3, EXIT_INTERNAL: 4}


class _Help(argparse.HelpFormatter):
    """Each option's help ends with its default, where it has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        d = action.default
        if (not action.option_strings or d is None or d is False or d == () or d == ""
                or d is argparse.SUPPRESS or "%(default)" in text):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


# No run needs larger numbers, and beyond 2**53 scenario.json and the history (JSON) no longer
# hold them exactly; NaN and infinity are never a count, a duration or a rate. A positive
# duration or rate below MIN_POSITIVE would overflow once inverted (1 / --rate, in ns).
MAX_NUMBER = 2**53
MIN_POSITIVE = 1e-6
# Sizes a run sets up before its first op (clients, keys in play and their final reads, accounts
# read in one snapshot, replicas): beyond these a run spends minutes or all memory on them.
MAX_CONCURRENCY = 1000
MAX_KEYS = 10_000
MAX_ACCOUNTS = 1000
MAX_REPLICAS = 100


def _int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None
    if abs(v) > MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"must be at most 2**53, got {s}")
    return v


def _positive_int(s: str) -> int:
    v = _int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _int_up_to(most: int) -> Any:
    def parse(s: str) -> int:
        v = _positive_int(s)
        if v > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}, got {v}")
        return v

    return parse


def _float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
    if not math.isfinite(v) or abs(v) > MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"expected a finite number up to 2**53, got {s!r}")
    return v


def _positive_float(s: str) -> float:
    v = _float(s)
    if v < MIN_POSITIVE:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_POSITIVE:g}, got {s}")
    return v


def _nonneg_float(s: str) -> float:
    v = _float(s)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {s}")
    return v


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.I)


def parse_size(s: str) -> int:
    """``512M``, ``2GiB``, ``1000000`` -> bytes."""
    m = _SIZE.match(s)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a size like 512M or 2G, got {s!r}")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
    size = int(float(m.group(1)) * mult)
    if size > MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"must be at most 2**53 bytes, got {s!r}")
    return size


def _line_size(s: str) -> int:
    v = parse_size(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 byte, got {s!r}")
    return v


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
    return None if s.strip().lower() in ("none", "0", "unlimited") else _positive_float(s)


# `isolde run` always ends with a verdict: a check that would outlast this (linearizability of a
# history full of crashed ops can) ends "unknown" instead. `isolde check` waits unless told.
RUN_CHECK_TIME_LIMIT = 300.0


def _add_check_options(p: argparse.ArgumentParser, time_limit: float | None = None) -> None:
    g = p.add_argument_group("checking")
    g.add_argument("--checker", type=_csv, default=None,
                   help=f"checkers to run, comma-separated: {', '.join(CHECKERS)} (default: "
                   "chosen by workload, or by the history's content)")
    g.add_argument("--model", default=None,
                   help=f"linearizability model: {', '.join(LINEARIZABLE_MODELS)} (default: "
                   "chosen by the workload or the history)")
    g.add_argument("--check-time-limit", type=_time_budget, default=time_limit, metavar="SEC",
                   help="time budget per check; exceeding it gives 'unknown' ('none': no limit)")
    g.add_argument("--memory-limit", type=parse_size, default=None, metavar="SIZE",
                   help="memory budget per check (e.g. 2G); exceeding it gives 'unknown'")
    g.add_argument("--consistency-models", type=_csv, default=(),
                   help="isolation models that must hold, comma-separated: "
                   f"{', '.join(ISOLATION_MODELS)} (default: {', '.join(DEFAULT_MODELS)})")
    g.add_argument("--staleness-sla", type=_sla, default=None,
                   help="make staleness a gate, e.g. p99=500ms,max=2s")
    g.add_argument("--details", action="store_true",
                   help="write per-item detail files (e.g. staleness.jsonl) beside the results")


def _check_config(a: argparse.Namespace, out_dir: Path | None = None) -> CheckConfig:
    return CheckConfig(
        time_limit=a.check_time_limit,
        memory_limit=a.memory_limit,
        model=a.model,
        consistency_models=tuple(a.consistency_models),
        staleness_sla=a.staleness_sla,
        details=a.details,
        out_dir=out_dir,
        # the bound bounded reads promised, for the read-promises checker
        options={"bounded_versions": a.bounded_versions, "bounded_ms": a.bounded_ms},
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="isolde", description="Consistency checker and test harness for data stores.")
    p.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    p.add_argument("--version", action="version", version=f"isolde {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    r = sub.add_parser("run", help="run a workload against a store and check the history")
    r.add_argument("--store", default="memory", help=f"store to test: {', '.join(STORES)}")
    r.add_argument("--workload", default="register", help=f"workload: {', '.join(WORKLOADS)}")
    r.add_argument("--nemesis", type=_csv, default=(),
                   help=f"faults, comma-separated: {', '.join(FAULT_NAMES)} (which store takes "
                   "which: README, Faults)")
    r.add_argument("--nemesis-interval", type=_positive_float, default=3.0, metavar="SEC",
                   help="seconds each fault lasts, and between faults")
    r.add_argument("--partition-via", choices=("proxy", "nftables"), default="proxy",
                   help="how a managed emulator is partitioned (nftables: root, apt nftables)")
    r.add_argument("--time-limit", type=_positive_float, default=10.0, metavar="SEC",
                   help="seconds of load")
    r.add_argument("--concurrency", type=_int_up_to(MAX_CONCURRENCY), default=10,
                   help=f"logical client processes, at most {MAX_CONCURRENCY}")
    r.add_argument("--rate", type=_positive_float, default=None, help="max ops/s overall")
    r.add_argument("--max-ops", type=_positive_int, default=None,
                   help="stop after N ops (the cloud audit: 1000 unless given)")
    r.add_argument("--seed", type=_int, default=0, help="random seed (same seed, same schedule)")
    r.add_argument("--op-timeout", type=_positive_float, default=5.0, metavar="SEC",
                   help="an op not done by then is recorded as info")
    r.add_argument("--store-dir", type=Path, default=Path("store"),
                   help="where run directories go")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="also write JUnit XML here (every run writes junit.xml in its dir)")
    w = r.add_argument_group("workload")
    w.add_argument("--keys", type=_int_up_to(MAX_KEYS), default=5,
                   help=f"keys in play at once, at most {MAX_KEYS}")
    w.add_argument("--ops-per-key", type=_positive_int, default=200,
                   help="ops on a key before moving to a fresh one")
    w.add_argument("--read-consistency", default="strong",
                   help="register, causal: strong, bounded, session, consistent-prefix, eventual "
                   "or mixed")
    w.add_argument("--max-writes-per-key", type=_positive_int, default=32,
                   help="list-append, rw-register: appends to a key before it retires")
    w.add_argument("--max-txn-length", type=_int_up_to(MAX_TXN_LEN), default=4,
                   help=f"list-append, rw-register: micro-ops per transaction, at most "
                   f"{MAX_TXN_LEN}")
    w.add_argument("--accounts", type=_int_up_to(MAX_ACCOUNTS), default=5,
                   help=f"bank: number of accounts, at most {MAX_ACCOUNTS}")
    w.add_argument("--total", type=_positive_int, default=100,
                   help="bank: total balance, spread evenly over the accounts")
    w.add_argument("--bank-mode", default="txn", choices=("txn", "rmw"),
                   help="bank: transfers as transactions, or as a non-transactional "
                        "read-modify-write control that must fail")
    m = r.add_argument_group("memory store")
    m.add_argument("--replicas", type=_int_up_to(MAX_REPLICAS), default=3,
                   help=f"primary + followers, at most {MAX_REPLICAS}")
    m.add_argument("--lag-ms", type=_nonneg_float, default=5.0,
                   help="mean replication lag in ms (exponential)")
    m.add_argument("--latency-ms", type=_nonneg_float, default=0.5,
                   help="mean simulated client round trip in ms")
    m.add_argument("--bounded-versions", type=_positive_int, default=10,
                   help="bounded staleness: max versions behind")
    m.add_argument("--writers", default="primary",
                   help="primary (one writer) or lww (every replica writes, last writer wins)")
    m.add_argument("--bounded-ms", type=_positive_float, default=100.0,
                   help="bounded staleness: max ms behind")
    m.add_argument("--isolation", default="serializable",
                   choices=("serializable", "snapshot-isolation", "read-committed", "none"),
                   help="transaction isolation of the memory store")
    d = r.add_argument_group("dynamodb stores (dynamodb, dynamodb-local, moto, dynalite)")
    d.add_argument("--region", default=None, help="AWS region (else from your AWS config)")
    d.add_argument("--profile", default=None, help="AWS named profile (else the standard chain)")
    d.add_argument("--endpoint-url", default=None,
                   help="send DynamoDB requests here (e.g. an emulator you run)")
    d.add_argument("--table", default=None,
                   help="name of the table to create (must start with isolde-)")
    d.add_argument("--keep", action="store_true", help="keep the table after the run")
    d.add_argument("--yes", action="store_true",
                   help="accept the cloud audit's plan and estimated cost (--store dynamodb)")
    d.add_argument("--persistent", action="store_true",
                   help="emulators keep data on disk, so it survives a kill -9")
    _add_check_options(r, RUN_CHECK_TIME_LIMIT)

    c = sub.add_parser("check", help="check history files")
    c.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="history files ('-' reads stdin; pipes and FIFOs work too), or run "
                        "directories (their history.jsonl)")
    c.add_argument("--format", default="auto",
                   help=f"auto|{'|'.join(sorted(READERS))}")
    c.add_argument("--json", action="store_true", help="one JSON object per path on stdout")
    c.add_argument("--out", type=Path, default=None,
                   help="write full results JSON here (a list when several paths)")
    c.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="write JUnit XML here (one testsuite per path)")
    c.add_argument("--max-line-length", type=_line_size, default=DEFAULT_MAX_LINE, metavar="SIZE",
                   help="longest history line accepted (default 64M); longer is bad input")
    c.add_argument("--bounded-versions", type=_positive_int, default=10,
                   help="the bound bounded reads promised: versions behind (default 10)")
    c.add_argument("--bounded-ms", type=_positive_float, default=100.0,
                   help="the bound bounded reads promised: ms behind (default 100)")
    _add_check_options(c)

    from .soak import add_soak_options

    add_soak_options(sub.add_parser(
        "soak", help="run for hours in segments, checking each closed segment as the load goes on",
        description="A long run in segments, each checked while the load goes on. Takes every "
        "`isolde run` option as well (see isolde run --help)."))

    from .harness.emulators._cli import add_parser as add_emulator_parser

    add_emulator_parser(sub)
    return p


def _scenario(a: argparse.Namespace) -> Any:
    """The Scenario the ``run`` options describe."""
    from .harness import Scenario

    store_options = {
        "replicas": a.replicas,
        "lag_ms": a.lag_ms,
        "latency_ms": a.latency_ms,
        "bounded_versions": a.bounded_versions,
        "bounded_ms": a.bounded_ms,
        "writers": a.writers,
        "default_read": a.read_consistency if a.read_consistency != "mixed" else "strong",
        "isolation": a.isolation,
        "region": a.region, "profile": a.profile, "endpoint_url": a.endpoint_url,
        "table": a.table, "keep": a.keep, "persistent": a.persistent,
    }
    return Scenario(
        store=a.store, workload=a.workload, nemesis=tuple(a.nemesis),
        nemesis_interval=a.nemesis_interval,
        nemesis_options={"partition_via": a.partition_via} if a.partition_via != "proxy" else {},
        time_limit=a.time_limit, concurrency=a.concurrency, rate=a.rate, max_ops=a.max_ops,
        seed=a.seed, op_timeout=a.op_timeout, store_dir=a.store_dir,
        store_options=store_options,
        workload_options={"keys": a.keys, "ops_per_key": a.ops_per_key,
                          "read_consistency": a.read_consistency,
                          "options": {"max_writes_per_key": a.max_writes_per_key,
                                      "max_txn_length": a.max_txn_length,
                                      "accounts": a.accounts, "total": a.total,
                                      "bank_mode": a.bank_mode}},
        checkers=a.checker, check=_check_config(a),
    )


def _given(a: argparse.Namespace) -> set[str]:
    """The ``run`` options set on the command line (those that differ from their defaults)."""
    defaults = vars(build_parser().parse_args(["run"]))
    return {k for k, v in vars(a).items() if v != defaults.get(k)}


def _preflight(a: argparse.Namespace, scenario: Any) -> Any:
    """Every check that needs nothing started, in one place, before anything runs; returns the
    prepared scenario (workload, store, nemesis)."""
    from . import _preflight as pf
    from .harness import prepare_scenario

    pf.check_applicable(a.store, a.workload, _given(a))
    pf.check_nemesis(scenario.nemesis, scenario.nemesis_options)
    pf.check_checking(scenario.checkers, scenario.check)
    if a.endpoint_url:
        pf.check_endpoint_url(a.endpoint_url)
    prepared = prepare_scenario(scenario)
    if a.junit:
        pf.check_output_file("--junit", a.junit)
    pf.check_store_dir(a.store_dir)
    return prepared


def cmd_run(a: argparse.Namespace, console: Console) -> int:
    from .harness import forward_to_sigint, run_scenario, signal_exit_code
    from .report import render_summary, write_junit

    scenario = _scenario(a)
    store = _preflight(a, scenario).store
    audit = None
    if a.store == "dynamodb":  # a real account, maybe: plan, estimate, --yes, cap
        from .harness.stores.dynamodb import _audit

        audit = store
        scenario = _audit.prepare(scenario, audit, a.yes, _say(console))
    progress = None if a.no_progress or not console.is_terminal else _progress(console, a)
    with forward_to_sigint():
        try:
            outcome = run_scenario(scenario, on_progress=progress[1] if progress else None,
                                   store=store)
        finally:
            if progress:
                progress[0].stop()
            if audit is not None:
                _audit.report(audit, _say(console))
        # Files before the console: a closed stdout (| head) must not cost a report.
        record = {"path": str(outcome.history_path), **outcome.results}
        write_junit(outcome.run_dir / "junit.xml", [record])
        if a.junit:
            write_junit(a.junit, [record])
        render_summary(outcome.results, console, title=f"{outcome.run_dir}\n")
    interrupted = outcome.results.get("interrupted")
    if interrupted is not None:
        _say(console)(f"interrupted by {interrupted}: the verdict covers only the ops that ran")
        return signal_exit_code(signal.Signals[interrupted])
    return exit_code(outcome.valid)


def scenario_from_argv(run_argv: list[str], preflight: bool = True) -> Any:
    """The Scenario ``isolde run RUN_ARGV`` would run; a bad option is a UsageError, and with
    ``preflight`` so is everything ``isolde run`` refuses before any load."""
    a = build_parser().parse_args(["run", *run_argv])
    scenario = _scenario(a)
    if preflight:
        _preflight(a, scenario)
    return scenario


def cmd_soak(a: argparse.Namespace, extra: list[str], console: Console) -> int:
    from .harness import forward_to_sigint
    from .soak import soak_command

    def soak_scenario(run_argv: list[str]) -> Any:
        scenario = scenario_from_argv(run_argv)
        if scenario.store == "dynamodb":  # a night of load on an account: not without a plan
            raise UsageError("isolde soak: not against --store dynamodb (the cloud audit has its"
                             " own op cap and plan); soak an emulator, or isolde run the audit")
        return scenario

    with forward_to_sigint():
        return soak_command(a, extra, soak_scenario, _say(console))


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


def _history_file(path: Path) -> Path:
    """A run directory (``store/latest``) stands for the history it holds."""
    try:
        return path / "history.jsonl" if path.is_dir() else path
    except OSError:  # a name too long...: the reader says so, naming it
        return path


def cmd_check(a: argparse.Namespace, console: Console, out: SafeStdout) -> int:
    """Check each path on its own (one path's error or budget does not stop the others); the
    exit code is the worst of them. Output files are checked up front, written at the end."""
    from .report import write_junit

    paths = [_history_file(p) for p in a.paths]
    _refuse_bad_outputs(a, paths)
    names = list(a.checker) if a.checker else None
    for name in names or ():
        make_checker(name)  # an unknown name is refused before any history is read
    worst = 0
    collected: list[dict[str, Any]] = []
    for path in paths:
        record, results, code = _check_path(path, a, names)
        collected.append(record)
        if a.json:
            out.write_bytes(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) + b"\n")
        elif "error" not in results:
            _render(results, console, path)
        if _SEVERITY[code] > _SEVERITY[worst]:
            worst = code
    if a.junit:
        write_junit(a.junit, collected)
    if a.out:
        data: Any = collected[0] if len(collected) == 1 else collected
        a.out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return worst


def _check_path(
    path: Path, a: argparse.Namespace, names: list[str] | None
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """(record for --json/--out/--junit, full results, exit code) of one path; its bad input or
    internal error is reported in one line naming it, and does not stop the other paths."""
    try:
        results = _judge(path, a, names)
        code = exit_code(results["valid"])
    except OutOfBudget as e:  # loading ran out of time or memory: no verdict, and why
        results = {"valid": UNKNOWN, "reason": str(e), "anomaly_types": [], "checkers": {}}
        code = exit_code(UNKNOWN)
    except BadInput as e:
        results = {"valid": None, "error": _naming(str(e), path)}
        code = e.exit_code
        print(f"isolde: error: {results['error']}", file=sys.stderr)
    except Exception as e:  # RecursionError and the like: this path only
        results, code = _internal(e, path, a.debug), EXIT_INTERNAL
    record = {"path": str(path), "valid": results["valid"],
              "anomaly_types": results.get("anomaly_types", []),
              "checkers": results.get("checkers", {})}
    for key in ("anomaly_counts", "faults", "reason", "error"):  # fault_windows index faults
        if key in results:
            record[key] = results[key]
    try:  # a value no reader refused but JSON cannot hold fails here, not in a later write
        orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)
    except TypeError as e:
        results, code = _internal(e, path, a.debug), EXIT_INTERNAL
        record = {"path": str(path), "valid": None, "anomaly_types": [], "checkers": {},
                  "error": results["error"]}
    return record, results, code


def _internal(e: Exception, path: Path, debug: bool) -> dict[str, Any]:
    if debug:
        raise e
    error = f"{path}: internal error: {type(e).__name__}: {e}"
    print(f"isolde: {error} (rerun with --debug)", file=sys.stderr)
    return {"valid": None, "error": error}


def _judge(path: Path, a: argparse.Namespace, names: list[str] | None) -> dict[str, Any]:
    """Load and check one history within one budget: loading counts against the time and
    memory limits, and the checkers get what time is left."""
    from .report import check_results

    deadline = time.monotonic() + a.check_time_limit if a.check_time_limit else None
    limits = LoadLimits(a.max_line_length, deadline, a.memory_limit)
    history = load_history(path, a.format, limits=limits)
    config = _check_config(a, _details_dir(a, path))
    if deadline is not None:
        config = replace(config, time_limit=max(deadline - time.monotonic(), 0.001))
    names = names or default_checkers(history)
    refuse_unjudgeable(names, op_kinds(history), str(path))
    return check_results(history, run_checkers(history, names, config))


def _render(results: dict[str, Any], console: Console, path: Path) -> None:
    from .report import render_summary

    render_summary(results, console, title=f"{path}: ")  # each checker's unknown says why
    if results.get("reason"):  # no checker ran: loading itself ran out of budget
        _say(console)(f"  unknown: {results['reason']}")


def _naming(message: str, path: Path) -> str:
    """An error message that names its file (checkers know ops, not files)."""
    names = (str(path), "<stdin>") if str(path) == STDIN else (str(path),)
    return message if message.startswith(names) else f"{path}: {message}"


def _details_dir(a: argparse.Namespace, path: Path) -> Path:
    """Detail files go beside --out (one path checked), else beside the history file, else
    (stdin, a pipe) in the working directory."""
    if a.out and len(a.paths) == 1:
        return a.out.parent
    try:
        return path.parent if path.is_file() else Path.cwd()
    except OSError:  # unreadable anyway: the reader says so, naming it
        return Path.cwd()


def _refuse_bad_outputs(a: argparse.Namespace, paths: list[Path]) -> None:
    """Every file isolde would write must be writable before any history is read (a long check
    must not end in an error); stdin can be read only once; the format must exist."""
    if sum(str(p) == STDIN for p in a.paths) > 1:
        raise UsageError("'-' (stdin) can be checked only once")
    if a.format != "auto" and a.format not in READERS:
        raise UsageError(f"--format: unknown history format {a.format!r} "
                         f"(known: auto, {', '.join(sorted(READERS))})")
    for flag, target in (("--out", a.out), ("--junit", a.junit)):
        if target is not None:
            _probe_file(flag, target)
    if a.details:
        for d in {_details_dir(a, p) for p in paths}:
            _probe_dir("--details", d)


def _probe_file(flag: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):  # append: probing must not truncate a file before it is rewritten
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path}: cannot write: {e.strerror or e}") from None
    if not existed:
        path.unlink()


def _probe_dir(flag: str, d: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as e:
        raise UsageError(f"{flag}: cannot write detail files in {d}: {e.strerror or e}") from None


def _console_logging() -> None:
    """Warnings and errors to stderr; INFO goes only to each run's isolde.log."""
    # A log that cannot be written (disk full) must not print tracebacks over the one line
    # that says what happened.
    logging.raiseExceptions = False
    root = logging.getLogger()
    if not any(getattr(h, "_isolde", False) for h in root.handlers):
        h = logging.StreamHandler()
        h.setLevel(logging.WARNING)
        h.setFormatter(logging.Formatter("isolde: %(levelname)s: %(message)s"))
        h._isolde = True  # type: ignore[attr-defined]
        root.addHandler(h)


def main(argv: list[str] | None = None) -> int:
    out = SafeStdout()  # a reader closing the pipe early changes no verdict and no file
    console = Console(file=cast(IO[str], out), highlight=False)  # a text file in all but name
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    _console_logging()
    try:
        parser = build_parser()
        a, extra = parser.parse_known_args(argv)
        if a.command is None:  # plain `isolde`: what it can do, and a usage exit code
            parser.print_help(cast(IO[str], out))
            return EXIT_BAD_INPUT
        if a.command == "soak":  # the options it does not know are `isolde run`'s
            return cmd_soak(a, extra, console)
        if extra:
            parser.parse_args(argv)  # argparse's own error for what it does not know
        if a.command == "run":
            return cmd_run(a, console)
        if a.command == "emulator":
            from .harness.emulators._cli import run as run_emulator_command

            return run_emulator_command(a, _say(console))
        return cmd_check(a, console, out)
    except IsoldeError as e:
        print(f"isolde: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:  # outside the load (setup, checking): nothing to report
        from .harness import claim, signal_exit_code

        sig = claim()
        print(f"isolde: interrupted by {sig.name}", file=sys.stderr)
        return signal_exit_code(sig)
    except Exception as e:
        if debug:
            raise
        print(f"isolde: internal error: {type(e).__name__}: {e} (rerun with --debug)",
              file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())
