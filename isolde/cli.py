"""The ``isolde`` command: ``run`` a scenario, ``check`` history files.

Exit codes (Jepsen's): 0 valid, 1 invalid, 2 unknown, 254 bad input or usage, 255 internal error;
a run cut short by a signal exits 128 + its number (130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, cast

import orjson
from rich.console import Console

from . import __version__
from ._errors import BadInput, IsoldeError, OutOfBudget, UsageError
from ._stdout import SafeStdout
from .checkers import (
    CHECKERS,
    STREAM_STATES,
    UNKNOWN,
    CheckConfig,
    default_checkers,
    exit_code,
    make_checker,
    op_kinds,
    parse_sla,
    refuse_unjudgeable,
    run_checkers,
)
from .checkers.isolation import DEFAULT_MODELS
from .checkers.isolation import MODELS as ISOLATION_MODELS
from .checkers.linearizable import MODELS as LINEARIZABLE_MODELS
from .harness import (
    MAX_NUMBER,
    MIXED,
    READ_MODES,
    Audited,
    Scenario,
    Sizing,
    at_most,
    check_read_consistency,
    positive_float,
    positive_int,
    prepare_audit,
    whole_number,
)
from .harness._options import flag_name
from .harness._plugin_cli import (
    STORE_DEST,
    WORKLOAD_DEST,
    check_applicable,
    describe_stores,
    option_defaults,
    plugin_flags,
    run_sizes,
    store_options,
    suggested_sizing,
    unrecognized,
    workload_common,
    workload_options,
)
from .harness.stores import STORES
from .histories import DEFAULT_MAX_LINE, READERS, STDIN, LoadLimits, load_history
from .nemesis import FAULT_NAMES
from .workloads import WORKLOADS, WorkloadOptions

# Sizes a run sets up before its first op (clients, keys in play and their final reads): beyond
# these a run spends minutes or all memory on them. (A store's or workload's own sizes are
# bounded by its options: the memory store's --replicas, the bank's --accounts.)
MAX_CONCURRENCY = 1000
MAX_KEYS = 10_000

if TYPE_CHECKING:
    from .harness import Outcome, Scenario
    from .report.html import ReportInput, RunFlag

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


def _sla(flag: str, time_only: bool = False) -> Callable[[str], str]:
    """The value parser of an SLA flag: the spec as given, once it parses (a latency SLA takes
    time metrics only)."""

    def parse(s: str) -> str:
        try:
            parse_sla(s, flag, () if time_only else None)
        except UsageError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"{flag}: ")) from None
        return s

    return parse


def _literal(s: str) -> tuple[Any, ...]:
    """``--initial``: a JSON or EDN literal (``0``, ``{"x": 0}``, ``{:x 0, :y 0}``)."""
    from .histories import iter_edn

    try:
        return (orjson.loads(s),)
    except orjson.JSONDecodeError:
        pass
    try:
        values = list(iter_edn(s))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a JSON or EDN value: {s!r} ({e})") from None
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"expected one JSON or EDN value, got {s!r}")
    return (values[0],)


def _time_budget(s: str) -> float | None:
    """Seconds, or ``none`` for no limit."""
    return None if s.strip().lower() in ("none", "0", "unlimited") else positive_float(s)


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
    g.add_argument("--failed-cas", choices=("evidence", "ignore"), default="auto",
                   help="a failed CAS that gives no reason: evidence that the value differed "
                        "(Porcupine), or ignored like every failed op (default: evidence only "
                        "when its error is precondition-failed)")
    g.add_argument("--initial", type=_literal, default=(), metavar="VALUE",
                   help="register models' initial value, JSON or EDN (e.g. 0, '{:x 0 :y 0}'; "
                        "default nil)")
    g.add_argument("--nil-reads", choices=("value", "unconstrained"), default="value",
                   help="an ok read of nil: saw nil (default) or says nothing (Knossos)")
    g.add_argument("--check-time-limit", type=_time_budget, default=time_limit, metavar="SEC",
                   help="time budget per check; exceeding it gives 'unknown' ('none': no limit)")
    g.add_argument("--memory-limit", type=parse_size, default=None, metavar="SIZE",
                   help="memory budget per check (e.g. 2G); exceeding it gives 'unknown'")
    g.add_argument("--consistency-models", type=_csv, default=(),
                   help="isolation models that must hold, comma-separated: "
                   f"{', '.join(ISOLATION_MODELS)} (default: {', '.join(DEFAULT_MODELS)})")
    g.add_argument("--staleness-sla", type=_sla("--staleness-sla"), default=None,
                   help="make staleness a gate, e.g. p99=500ms,max=2s")
    g.add_argument("--stream-lag-sla", type=_sla("--stream-lag-sla", time_only=True),
                   default=None,
                   help="make change-stream lag (commit to record) a gate, e.g. p99=1s,max=5s")
    g.add_argument("--details", action="store_true",
                   help="write per-item detail files (e.g. staleness.jsonl) beside the results")


def _check_config(a: argparse.Namespace, out_dir: Path | None = None,
                  options: dict[str, Any] | None = None) -> CheckConfig:
    return CheckConfig(
        time_limit=a.check_time_limit,
        memory_limit=a.memory_limit,
        model=a.model,
        failed_cas=a.failed_cas,
        initial=a.initial,
        nil_reads=a.nil_reads,
        consistency_models=tuple(a.consistency_models),
        staleness_sla=a.staleness_sla,
        stream_lag_sla=a.stream_lag_sla,
        details=a.details,
        out_dir=out_dir,
        options=options or {},
    )


def _size_defaults(store: str | None, workload: str | None) -> dict[str, str]:
    """How ``--help`` states the defaults of --concurrency and --keys: isolde's own, or what the
    chosen store suggests for the chosen workload, said to be that."""
    own = WorkloadOptions()
    suggested = suggested_sizing(store, workload) if store and workload else Sizing()
    out = {}
    for name, mine, theirs in (("concurrency", own.concurrency, suggested.concurrency),
                               ("keys", own.keys, suggested.keys)):
        out[name] = (f"default: {theirs}, what store {store} suggests for workload {workload}; "
                     f"isolde's own: {mine}" if theirs else f"default: {mine}")
    return out


def build_parser(store: str | None = None,
                 workload: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``isolde run`` gets the flags of ``store`` and ``workload`` when given."""
    p = _Parser(prog="isolde", description="Consistency checker and test harness for data stores.")
    p.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    p.add_argument("--version", action="version", version=f"isolde {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    r = sub.add_parser(
        "run", help="run a workload against a store and check the history",
        epilog="The store and workload groups are those of --store and --workload: "
               "`isolde run --store S --workload W --help` shows theirs; `isolde stores` lists "
               "the stores.")
    r.add_argument("--store", default="memory", help=f"store to test: {', '.join(STORES)}")
    r.add_argument("--workload", default="register", help=f"workload: {', '.join(WORKLOADS)}")
    r.add_argument("--nemesis", type=_csv, default=(),
                   help=f"faults, comma-separated: {', '.join(FAULT_NAMES)} (which store takes "
                   "which: isolde stores)")
    r.add_argument("--nemesis-interval", type=positive_float, default=3.0, metavar="SEC",
                   help="seconds each fault lasts, and between faults")
    r.add_argument("--partition-via", choices=("proxy", "nftables"), default="proxy",
                   help="how a managed emulator is partitioned (nftables: root, apt nftables)")
    r.add_argument("--time-limit", type=positive_float, default=10.0, metavar="SEC",
                   help="seconds of load")
    sizes = _size_defaults(store, workload)
    # None when not given: a store's suggestion for the workload (run_sizes) must not be taken
    # for the user's choice, nor hide it.
    r.add_argument("--concurrency", type=at_most(MAX_CONCURRENCY), default=None,
                   help=f"logical client processes, at most {MAX_CONCURRENCY} "
                   f"({sizes['concurrency']})")
    r.add_argument("--rate", type=positive_float, default=None, help="max ops/s overall")
    r.add_argument("--max-ops", type=positive_int, default=None,
                   help="stop after N ops (a cloud audit has a default cap)")
    r.add_argument("--seed", type=whole_number, default=0,
                   help="random seed (same seed, same schedule)")
    r.add_argument("--op-timeout", type=positive_float, default=5.0, metavar="SEC",
                   help="an op not done by then is recorded as info")
    r.add_argument("--store-dir", type=Path, default=Path("store"),
                   help="where run directories go")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="also write JUnit XML here (every run writes junit.xml in its dir)")
    # Options several workloads read (each says which: WorkloadSpec.reads); given only when set,
    # so that one the workload does not read is refused rather than ignored.
    w = r.add_argument_group("workload (common options; a workload reads some of them)")
    w.add_argument("--keys", type=at_most(MAX_KEYS), default=argparse.SUPPRESS,
                   help=f"keys in play at once, at most {MAX_KEYS} ({sizes['keys']})")
    w.add_argument("--ops-per-key", type=positive_int, default=argparse.SUPPRESS,
                   help="ops on a key before moving to a fresh one (default: 200)")
    w.add_argument("--read-consistency", type=check_read_consistency,
                   default=argparse.SUPPRESS,
                   help=f"{', '.join((*READ_MODES, MIXED))} (default: strong)")
    if store is not None and workload is not None:
        plugin_flags(r, store, workload)
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
    c.add_argument("--html", type=Path, default=None, metavar="FILE",
                   help="write the HTML report here, as a run writes report.html (one PATH)")
    c.add_argument("--max-line-length", type=_line_size, default=DEFAULT_MAX_LINE, metavar="SIZE",
                   help="longest history line accepted (default 64M); longer is bad input")
    c.add_argument("--bounded-versions", type=positive_int, default=10,
                   help="the bound bounded reads promised: versions behind (default 10)")
    c.add_argument("--bounded-ms", type=positive_float, default=100.0,
                   help="the bound bounded reads promised: ms behind (default 100)")
    c.add_argument("--stream-states", action="store_true",
                   help="judge change-stream records as a stream of states, as a run on "
                        "Firestore does (a snapshot may carry several writes; no exactly-once)")
    _add_check_options(c)

    from .soak import add_soak_options

    add_soak_options(sub.add_parser(
        "soak", help="run for hours in segments, checking each closed segment as the load goes on",
        description="A long run in segments, each checked while the load goes on. Takes every "
        "`isolde run` option as well (see isolde run --help)."))

    sub.add_parser("stores", help="the stores: capabilities, read modes, faults, what is "
                   "installed")

    v = sub.add_parser("convert", help="convert a history: JSONL <-> Jepsen EDN, Porcupine logs")
    v.add_argument("input", type=Path, metavar="IN")
    v.add_argument("output", type=Path, metavar="OUT")
    v.add_argument("--format", default="auto",
                   help=f"IN's format: auto|{'|'.join(sorted(READERS))} (default auto)")
    v.add_argument("--to", choices=("jsonl", "edn"), default=None,
                   help="OUT's format (default: from OUT's suffix, .jsonl or .edn)")

    from .harness.emulators._cli import add_parser as add_emulator_parser
    from .report import add_report_parser
    from .serve import add_parser as add_serve_parser

    add_emulator_parser(sub)
    add_report_parser(sub)
    add_serve_parser(sub)
    return p


# Where scenario.json keeps the value of each core `isolde run` flag, by destination
# (run_scenario_from_args puts it there): the report rebuilds a run's command line from it. The
# flags about this machine rather than the run are in NOT_IN_SCENARIO. A run flag in neither is
# a mistake run_flags() refuses (tests/test_run_flags.py round-trips every flag).
SCENARIO_PATHS: dict[str, tuple[str, ...]] = {
    "store": ("store",), "workload": ("workload",), "nemesis": ("nemesis",),
    "nemesis_interval": ("nemesis_interval",),
    "partition_via": ("nemesis_options", "partition_via"), "time_limit": ("time_limit",),
    "concurrency": ("concurrency",), "rate": ("rate",), "max_ops": ("max_ops",),
    "seed": ("seed",), "op_timeout": ("op_timeout",),
    "keys": ("workload_options", "keys"), "ops_per_key": ("workload_options", "ops_per_key"),
    "read_consistency": ("workload_options", "read_consistency"), "checker": ("checkers",),
    **{dest: ("check", field) for dest, field in (
        ("model", "model"), ("failed_cas", "failed_cas"), ("initial", "initial"),
        ("nil_reads", "nil_reads"), ("check_time_limit", "time_limit"),
        ("memory_limit", "memory_limit"), ("consistency_models", "consistency_models"),
        ("staleness_sla", "staleness_sla"), ("stream_lag_sla", "stream_lag_sla"),
        ("details", "details"))},
}
NOT_IN_SCENARIO = frozenset({"command", "debug", "store_dir", "no_progress", "junit"})


def run_flags(store: str = "memory", workload: str = "register") -> dict[str, RunFlag]:
    """``isolde run``'s flags with ``store``'s and ``workload``'s own, by destination: each
    one's name, where scenario.json keeps its value, and its default."""
    from .report.html import RunFlag  # matplotlib: only when drawing

    out = {}
    for dest, default in run_defaults(store, workload).items():
        if dest in NOT_IN_SCENARIO:
            continue
        path = _scenario_path(dest)
        if path is None:
            raise AssertionError(f"isolde run: where does scenario.json keep {dest!r}? "
                                 "(cli.SCENARIO_PATHS)")
        out[dest] = RunFlag(flag_name(dest.rpartition(":")[2]), path, default)
    return out


def _scenario_path(dest: str) -> tuple[str, ...] | None:
    if dest.startswith(STORE_DEST):
        return ("store_options", dest.removeprefix(STORE_DEST))
    if dest.startswith(WORKLOAD_DEST):
        return ("workload_options", "options", dest.removeprefix(WORKLOAD_DEST))
    return SCENARIO_PATHS.get(dest)


def run_defaults(store: str = "memory", workload: str = "register") -> dict[str, Any]:
    """``isolde run``'s option defaults by destination, with the flags of ``store`` and
    ``workload`` (a report's command omits them). The store and workload themselves keep the
    command's own defaults, so a reproducing command still names a store that is not memory.
    A store or workload not installed here contributes no flags."""
    base = vars(build_parser().parse_args(["run"]))
    common = WorkloadOptions()
    base.update(keys=common.keys, ops_per_key=common.ops_per_key,
                read_consistency=common.read_consistency)
    base.update(run_sizes(store, workload))  # what the store suggests is a default too
    try:
        return {**base, **option_defaults(store, workload)}
    except UsageError:  # a store or workload not installed here: no flags of its own
        return base


def _write_run_report(outcome: Outcome, scenario: Scenario) -> Path | None:
    """report.html in the run directory (its path is the run's last line)."""
    from .report.html import REPORT_FILE, ReportInput  # matplotlib: only when drawing

    return _write_page(outcome.run_dir / REPORT_FILE, ReportInput(
        results=outcome.results, history=outcome.history, scenario=scenario.to_json(),
        source=str(outcome.run_dir), run_flags=run_flags(scenario.store, scenario.workload)))


def _write_page(out: Path, inp: ReportInput) -> Path | None:
    """The HTML report written to ``out``. A page that cannot be drawn is a warning: the
    verdict and the results stand without it."""
    from .report.html import write_report

    try:
        return write_report(out, inp)
    except Exception as e:
        logging.getLogger("isolde").warning("%s not written: %s: %s", out.name,
                                            type(e).__name__, e)
        return None


def run_scenario_from_args(a: argparse.Namespace) -> Scenario:
    """The Scenario of an ``isolde run`` command line (options checked, defaults filled in)."""
    common = workload_common(a)
    check_applicable(a, set(common))  # what was given, not what the store suggests
    sizes = run_sizes(a.store, a.workload)
    default_concurrency = sizes.pop("concurrency")
    concurrency = a.concurrency if a.concurrency is not None else default_concurrency
    wo = dataclasses.replace(WorkloadOptions(), **{**sizes, **common})
    return Scenario(
        store=a.store, workload=a.workload, nemesis=tuple(a.nemesis),
        nemesis_interval=a.nemesis_interval,
        nemesis_options={"partition_via": a.partition_via} if a.partition_via != "proxy" else {},
        time_limit=a.time_limit, concurrency=concurrency, rate=a.rate, max_ops=a.max_ops,
        seed=a.seed, op_timeout=a.op_timeout, store_dir=a.store_dir,
        store_options=store_options(a),
        workload_options={"keys": wo.keys, "ops_per_key": wo.ops_per_key,
                          "read_consistency": wo.read_consistency,
                          "options": workload_options(a)},
        checkers=a.checker, check=_check_config(a),
    )


def _preflight(a: argparse.Namespace, scenario: Scenario) -> Any:
    """Every check that needs nothing started, in one place, before anything runs; returns the
    prepared scenario (workload, store, nemesis). (Which flags apply to which store and
    workload is checked as the command line is read: the plugins declare it.)"""
    from . import _preflight as pf
    from .harness import prepare_scenario

    pf.check_nemesis(scenario.nemesis, scenario.nemesis_options)
    pf.check_checking(scenario.checkers, scenario.check)
    prepared = prepare_scenario(scenario)
    if a.junit:
        pf.check_output_file("--junit", a.junit)
    pf.check_store_dir(a.store_dir)
    return prepared


def cmd_run(a: argparse.Namespace, console: Console) -> int:
    from .harness import forward_to_sigint, run_scenario, signal_exit_code
    from .report import render_summary, write_junit

    scenario = run_scenario_from_args(a)
    store = _preflight(a, scenario).store
    audited = store if isinstance(store, Audited) else None
    if audited is not None:  # it costs money: plan, estimate, --yes, cap
        scenario = prepare_audit(scenario, audited, _say(console))
    progress = None if a.no_progress or not console.is_terminal else _progress(console, a)
    with forward_to_sigint():
        try:
            outcome = run_scenario(scenario, on_progress=progress[1] if progress else None,
                                   store=store, before_check=progress[0].stop if progress else None)
        finally:
            if progress:
                progress[0].stop()
            if audited is not None:
                _say(console)(audited.audit_report())
        # Files before the console: a closed stdout (| head) must not cost a report.
        record = {"path": str(outcome.history_path), **outcome.results}
        write_junit(outcome.run_dir / "junit.xml", [record])
        if a.junit:
            write_junit(a.junit, [record])
        report = _write_run_report(outcome, scenario)
        render_summary(outcome.results, console, title=f"{outcome.run_dir}\n")
    interrupted = outcome.results.get("interrupted")
    if interrupted is not None:
        _say(console)(f"interrupted by {interrupted}: the verdict covers only the ops that ran")
    if report is not None:
        _say(console)(f"report: {report}")
    if interrupted is not None:
        return signal_exit_code(signal.Signals[interrupted])
    return exit_code(outcome.valid)


def scenario_from_argv(run_argv: list[str], preflight: bool = True) -> Any:
    """The Scenario ``isolde run RUN_ARGV`` would run; a bad option is a UsageError, and with
    ``preflight`` so is everything ``isolde run`` refuses before any load."""
    _, a = parse_args(["run", *run_argv])
    scenario = run_scenario_from_args(a)
    if preflight:
        _preflight(a, scenario)
    return scenario


def cmd_soak(a: argparse.Namespace, extra: list[str], console: Console) -> int:
    from .harness import forward_to_sigint
    from .soak import soak_command

    def soak_scenario(run_argv: list[str]) -> Any:
        _, ra = parse_args(["run", *run_argv])
        scenario = run_scenario_from_args(ra)
        if isinstance(_preflight(ra, scenario).store, Audited):
            raise UsageError(f"isolde soak: not against the cloud store {scenario.store!r} (a "
                             "cloud audit has its own op cap and plan); soak an emulator, or "
                             "isolde run the audit")
        return scenario, ra.junit

    with forward_to_sigint():
        return soak_command(a, extra, soak_scenario, run_flags, _say(console))


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


def _default_checkers(history: Any, model: str | None) -> list[str]:
    """The checkers the history's content calls for; a ``--model`` asks for linearizability
    instead, whatever the content (mutex, set and queue ops, or a multi-register's ``txn``
    ops, which the content would give to Elle's checker)."""
    return default_checkers(history) if model is None else ["linearizable", "stats"]


def _history_file(path: Path) -> Path:
    """A run directory (``store/latest``) stands for the history it holds."""
    try:
        return path / "history.jsonl" if path.is_dir() else path
    except OSError:  # a name too long...: the reader says so, naming it
        return path


def cmd_stores(say: Any) -> int:
    for line in describe_stores():
        say(line)
    return 0


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


def parse_args(argv: list[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse with the flags of the store and workload the command line names."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--store", default="memory")
    pre.add_argument("--workload", default="register")
    chosen, _ = pre.parse_known_args(argv)
    # Only a run loads plugins: `isolde check` works without any store installed.
    parser = build_parser(chosen.store, chosen.workload) if "run" in argv else build_parser()
    a, rest = parser.parse_known_args(argv)
    if a.command == "soak":  # the options soak does not know are `isolde run`'s
        a.run_argv = rest
    elif rest:
        raise UsageError(unrecognized(a, rest))
    return parser, a


def cmd_convert(a: argparse.Namespace, console: Console) -> int:
    from .histories import convert

    n = convert(a.input, a.output, a.format, a.to)
    _say(console)(f"{a.input} -> {a.output}: {n} ops")
    return 0


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
    # the bound bounded reads promised, for the read-promises checker (a run takes it from the
    # store: Promising)
    options = {"bounded_versions": a.bounded_versions, "bounded_ms": a.bounded_ms}
    if a.stream_states:  # what a Firestore listener promises (a run takes it from the store)
        options.update(STREAM_STATES)
    config = _check_config(a, _details_dir(a, path), options)
    if deadline is not None:
        config = replace(config, time_limit=max(deadline - time.monotonic(), 0.001))
    names = names or _default_checkers(history, a.model)
    # A named model judges the ops itself (and refuses those it cannot interpret).
    refuse_unjudgeable([n for n in names if not (a.model and n == "linearizable")],
                       op_kinds(history), str(path))
    results = check_results(history, run_checkers(history, names, config))
    if a.html:
        from .report.html import ReportInput  # matplotlib: only when drawing

        _write_page(a.html, ReportInput(results=results, history=history, scenario=None,
                                        source=str(path), run_flags=run_flags()))
    return results


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
    if a.html and len(a.paths) > 1:
        raise UsageError("--html takes one PATH only")
    for flag, target in (("--out", a.out), ("--junit", a.junit), ("--html", a.html)):
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
    args = sys.argv[1:] if argv is None else argv
    try:
        parser, a = parse_args(args)
        if a.command is None:  # plain `isolde`: what it can do, and a usage exit code
            parser.print_help(cast(IO[str], out))
            return EXIT_BAD_INPUT
        if a.command == "soak":
            return cmd_soak(a, a.run_argv, console)
        if a.command == "run":
            return cmd_run(a, console)
        if a.command == "stores":
            return cmd_stores(_say(console))
        if a.command == "convert":
            return cmd_convert(a, console)
        if a.command == "emulator":
            from .harness.emulators._cli import run as run_emulator_command

            return run_emulator_command(a, _say(console))
        if a.command == "report":
            from .report import run_report

            return run_report(a, run_flags, _say(console))
        if a.command == "serve":
            from .serve import run as run_serve_command

            return run_serve_command(a, _say(console))
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
