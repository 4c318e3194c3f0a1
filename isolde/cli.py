"""The ``isolde`` command: ``run`` a scenario, ``check`` history files.

Exit codes (Jepsen's): 0 valid, 1 invalid, 2 unknown, 254 bad input or usage, 255 internal error.
"""

from __future__ import annotations

import argparse
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
from .histories import READERS, load_history

EXIT_BAD_INPUT = 254
EXIT_INTERNAL = 255
# Worst-first ranking for combining several paths: internal > bad input > invalid > unknown > ok.
_SEVERITY = {0: 0, 2: 1, 1: 2, EXIT_BAD_INPUT: 3, EXIT_INTERNAL: 4}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _positive_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {s}")
    return v


def _nonneg_float(s: str) -> float:
    v = _positive_float(s) if s not in ("0", "0.0") else 0.0
    return v


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
    return None if s.strip().lower() in ("none", "0", "unlimited") else _positive_float(s)


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
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a workload against a store and check the history")
    r.add_argument("--store", default="memory", help="store to test (default: memory)")
    r.add_argument("--workload", default="register", help="workload (default: register)")
    r.add_argument("--nemesis", type=_csv, default=(),
                   help="faults, comma-separated (see README: Faults)")
    r.add_argument("--nemesis-interval", type=_positive_float, default=3.0, metavar="SEC",
                   help="seconds each fault lasts, and between faults (default 3)")
    r.add_argument("--partition-via", choices=("proxy", "nftables"), default="proxy",
                   help="how a managed emulator is partitioned (nftables: root, apt nftables)")
    r.add_argument("--time-limit", type=_positive_float, default=10.0, metavar="SEC",
                   help="seconds of load (default 10)")
    r.add_argument("--concurrency", type=_positive_int, default=10,
                   help="logical client processes (default 10)")
    r.add_argument("--rate", type=_positive_float, default=None, help="max ops/s overall")
    r.add_argument("--max-ops", type=_positive_int, default=None, help="stop after N ops")
    r.add_argument("--seed", type=int, default=0, help="random seed (same seed, same schedule)")
    r.add_argument("--op-timeout", type=_positive_float, default=5.0, metavar="SEC",
                   help="an op not done by then is recorded as info (default 5)")
    r.add_argument("--store-dir", type=Path, default=Path("store"),
                   help="where run directories go (default ./store)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="also write JUnit XML here (every run writes junit.xml in its dir)")
    w = r.add_argument_group("workload")
    w.add_argument("--keys", type=_positive_int, default=5, help="keys in play at once")
    w.add_argument("--ops-per-key", type=_positive_int, default=200,
                   help="ops on a key before moving to a fresh one")
    w.add_argument("--read-consistency", default="strong",
                   help="strong|bounded|session|consistent-prefix|eventual|mixed")
    w.add_argument("--max-writes-per-key", type=_positive_int, default=32,
                   help="list-append: appends to a key before it retires (default 32)")
    w.add_argument("--max-txn-length", type=_positive_int, default=4,
                   help="list-append: micro-ops per transaction, at most 5 (default 4)")
    w.add_argument("--accounts", type=_positive_int, default=5,
                   help="bank: number of accounts (default 5)")
    w.add_argument("--total", type=_positive_int, default=100,
                   help="bank: total balance, spread evenly over the accounts (default 100)")
    w.add_argument("--bank-mode", default="txn", choices=("txn", "rmw"),
                   help="bank: transfers as transactions, or as a non-transactional "
                        "read-modify-write control that must fail (default txn)")
    m = r.add_argument_group("memory store")
    m.add_argument("--replicas", type=_positive_int, default=3, help="primary + followers")
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
                   help="transaction isolation of the memory store (default serializable)")
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
    c.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    c.add_argument("--format", default="auto",
                   help=f"auto|{'|'.join(sorted(READERS))} (default auto)")
    c.add_argument("--json", action="store_true", help="one JSON object per path on stdout")
    c.add_argument("--out", type=Path, default=None,
                   help="write full results JSON here (a list when several paths)")
    c.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="write JUnit XML here (one testsuite per path)")
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


def cmd_run(a: argparse.Namespace, console: Console) -> int:
    from .harness._scenario import build_nemesis, run_scenario
    from .report import render_summary, write_junit

    scenario = _scenario(a)
    audit = None
    if a.store == "dynamodb":  # a real account, maybe: plan, estimate, --yes, cap
        from .harness.stores import make_store
        from .harness.stores.dynamodb import _audit

        audit = make_store(a.store, {"seed": a.seed, **scenario.store_options})
        build_nemesis(scenario, audit)  # a fault it cannot take is refused before the plan
        scenario = _audit.prepare(scenario, audit, a.yes, _say(console))  # type: ignore[arg-type]
    progress = None if a.no_progress or not console.is_terminal else _progress(console, a)
    try:
        outcome = run_scenario(scenario, on_progress=progress[1] if progress else None,
                               store=audit)
    finally:
        if progress:
            progress[0].stop()
        if audit is not None:
            _audit.report(audit, _say(console))  # type: ignore[arg-type]
    render_summary(outcome.results, console, title=f"{outcome.run_dir}\n")
    record = {"path": str(outcome.history_path), **outcome.results}
    write_junit(outcome.run_dir / "junit.xml", [record])
    if a.junit:
        write_junit(a.junit, [record])
    return exit_code(outcome.valid)


def scenario_from_argv(run_argv: list[str]) -> Any:
    """The Scenario ``isolde run RUN_ARGV`` would run (a UsageError for a bad option)."""
    return _scenario(build_parser().parse_args(["run", *run_argv]))


def cmd_soak(a: argparse.Namespace, extra: list[str], console: Console) -> int:
    from .soak import soak_command

    return soak_command(a, extra, scenario_from_argv, _say(console))


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
                history, run_checkers(history, names, _check_config(a, out_dir)))
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
    try:
        parser = build_parser()
        a, extra = parser.parse_known_args(argv)
        if a.command == "soak":  # the options it does not know are `isolde run`'s
            return cmd_soak(a, extra, console)
        if extra:
            parser.parse_args(argv)  # argparse's own error for what it does not know
        if a.command == "run":
            return cmd_run(a, console)
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
