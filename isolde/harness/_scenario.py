"""Scenario (a frozen description of a run) and run_scenario(), which runs and checks it."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .._errors import IsoldeError, UsageError
from .._redact import redact_url
from ..checkers import CheckConfig, refuse_unjudgeable, run_checkers
from ..histories import History
from ..nemesis import Nemesis, NemesisOptions, make_nemesis
from ..report import check_results, verdict_word
from ..workloads import Consuming, TxnSized, Workload, WorkloadOptions, make_workload
from ._generators import Generator, Limit, TimeLimit, rate
from ._plugin import StoreContext
from ._results import latest_targets, link_latest, new_run_dir, restore_latest, write_json
from ._runner import Counters, RunLimits, Runner
from ._store import (
    Audited,
    Promising,
    RunDirAware,
    Store,
    Streaming,
    require,
    require_txn_size,
)
from ._stream import StreamConsumer
from .stores import make_store

log = logging.getLogger("isolde")


@dataclass(frozen=True)
class Scenario:
    """Everything that defines a run; recorded as scenario.json beside the history."""

    store: str = "memory"
    workload: str = "register"
    nemesis: tuple[str, ...] = ()
    nemesis_interval: float = 3.0  # seconds: quiet, fault, quiet, fault...
    nemesis_options: dict[str, Any] = field(default_factory=dict)  # NemesisOptions overrides
    time_limit: float = 10.0
    concurrency: int = 10
    rate: float | None = None
    max_ops: int | None = None
    seed: int = 0
    op_timeout: float = 5.0
    store_dir: Path = Path("store")
    store_options: dict[str, Any] = field(default_factory=dict)
    workload_options: dict[str, Any] = field(default_factory=dict)
    checkers: tuple[str, ...] | None = None  # None: the workload's own
    check: CheckConfig = field(default_factory=CheckConfig)

    def store_context(self) -> StoreContext:
        return StoreContext(seed=self.seed, read_consistency=self.workload_options.get(
            "read_consistency", "strong"))

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["store_dir"] = str(self.store_dir)
        if d["store_options"].get("endpoint_url"):
            d["store_options"]["endpoint_url"] = redact_url(d["store_options"]["endpoint_url"])
        d["check"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in d["check"].items()}
        return d


@dataclass
class Outcome:
    run_dir: Path
    history_path: Path
    history: History
    results: dict[str, Any]

    @property
    def valid(self) -> Any:
        return self.results["valid"]


def build_generator(s: Scenario, main: Generator) -> Generator:
    return build_generators(s, main, None)[0]


def build_generators(s: Scenario, main: Generator, final: Generator | None,
                     cap_final: bool = False) -> tuple[Generator, Generator | None]:
    """The load (``main`` under the scenario's time limit, rate and op cap) and the final phase;
    with ``cap_final`` the final ops count against the same ``max_ops`` (a store that costs
    money is capped as a whole run). The load then stops a tenth of the cap short, so the final
    phase -- which a verdict may need (the outbox's read, convergence reads) -- always has room:
    it gets that reserve and whatever the load left unused."""
    gen: Generator = main
    if s.max_ops is not None:
        cap = Limit(s.max_ops, gen)
        gen = cap
        if cap_final and final is not None:
            reserve = max(1, s.max_ops // 10) if s.max_ops > 1 else 0
            gen = Limit(s.max_ops - reserve, cap)
            final = cap.then(final)
    if s.rate:
        gen = rate(s.rate, gen)
    return TimeLimit(s.time_limit, gen), final


def build_nemesis(s: Scenario, store: Store) -> Nemesis | None:
    """The scenario's nemesis for ``store``; UsageError for a fault the store cannot take."""
    if not s.nemesis:
        return None
    opts = NemesisOptions(interval=s.nemesis_interval, seed=s.seed, **s.nemesis_options)
    return make_nemesis(s.nemesis, store, opts)


@dataclass
class Prepared:
    """What a scenario runs with, built without side effects (nothing started, nothing sent)."""

    workload: Workload
    store: Store
    nemesis: Nemesis | None


def scenario_workload(s: Scenario) -> Workload:
    """The scenario's workload, with its seed and options."""
    fields = WorkloadOptions.__dataclass_fields__
    unknown = sorted(set(s.workload_options) - set(fields))
    if unknown:  # dropped, it would run with the default and never say so
        raise UsageError(f"workload_options {', '.join(unknown)}: not one of "
                         f"{', '.join(sorted(fields))} (a workload's own options go under "
                         "'options')")
    wopts = WorkloadOptions(seed=s.seed, concurrency=s.concurrency, **s.workload_options)
    return make_workload(s.workload, wopts)


def prepare_scenario(s: Scenario, store: Store | None = None) -> Prepared:
    """Build the scenario's workload, store and nemesis; a name or an option that does not fit
    (a workload the store cannot serve, a fault it cannot take) is a UsageError here, before
    anything runs."""
    workload = scenario_workload(s)
    names = list(s.checkers or workload.checkers)
    refuse_unjudgeable(names, {workload.op_kind}, f"workload {workload.name!r}")  # before load
    store = store or make_store(s.store, s.store_options, s.store_context())
    require(store, workload.needs, workload.name)
    if isinstance(workload, Consuming):
        if not isinstance(store, Streaming):  # claims the capability without the protocol
            raise UsageError(f"store {store.name!r} has no change stream to read")
        store.enable_stream()
    if isinstance(workload, TxnSized):
        require_txn_size(store, workload.txn_items, workload.name)
    return Prepared(workload, store, build_nemesis(s, store))


class DiskFull(IsoldeError):
    """The disk filled up during the run: one line, exit 255; the history so far is kept."""


def run_scenario(
    s: Scenario,
    on_progress: Callable[[Counters, float], None] | None = None,
    store: Store | None = None,
    before_check: Callable[[], None] | None = None,
) -> Outcome:
    """Run the scenario to completion and check it; nothing recorded is lost on error.
    ``before_check`` runs between the two (a progress display stops there: its thread would
    keep the budgeted checkers from running in watched, forked children)."""
    prepared = prepare_scenario(s, store)
    run_dir = new_run_dir(s.store_dir, s.workload, s.store)
    if isinstance(prepared.store, RunDirAware):  # stores that start processes keep logs there
        prepared.store.attach_run_dir(run_dir)
    handler = logging.FileHandler(run_dir / "isolde.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("isolde").addHandler(handler)
    logging.getLogger("isolde").setLevel(logging.INFO)
    previous = latest_targets(run_dir)
    try:
        write_json(run_dir / "scenario.json", s.to_json())
        link_latest(run_dir)
        log.info("run %s: %s", run_dir, orjson.dumps(s.to_json()).decode())
        history, interrupted = _record(s, prepared, run_dir / "history.jsonl", on_progress)
        log.info("recorded %d ops; checking", len(history))
        if before_check is not None:
            before_check()
        results = _judge(s, prepared, history, run_dir)
        if interrupted is not None:  # cut short: the verdict covers only what ran
            results["interrupted"] = interrupted
        write_json(run_dir / "results.json", results)
        log.info("verdict: %s", verdict_word(results["valid"]))
        return Outcome(run_dir, run_dir / "history.jsonl", history, results)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
        restore_latest(previous)  # ``latest`` is for runs that finished
        raise DiskFull(f"disk full at {e.filename or run_dir}: the history so far is kept in "
                       f"{run_dir / 'history.jsonl'}") from None
    finally:
        logging.getLogger("isolde").removeHandler(handler)
        handler.close()


def _record(s: Scenario, prepared: Prepared, history_path: Path,
            on_progress: Callable[[Counters, float], None] | None) -> tuple[History, str | None]:
    """Run the load; returns the history and the signal that cut it short, if one did."""
    workload, store, nemesis = prepared.workload, prepared.store, prepared.nemesis
    load, final = build_generators(s, workload.generator(), workload.final_generator(),
                                   cap_final=isinstance(store, Audited))
    runner = Runner(
        store=store,
        generator=load,
        final=final,
        setup=workload.setup_generator(),
        limits=RunLimits(concurrency=s.concurrency, op_timeout=s.op_timeout, seed=s.seed),
        history_path=history_path,
        on_progress=on_progress,
        background=[nemesis.run] if nemesis else [],
        followers=[StreamConsumer(store, workload.settle).run]
        if isinstance(workload, Consuming) and isinstance(store, Streaming) else [],
    )

    async def go() -> History:
        await store.setup()
        try:
            if nemesis is None:
                return await runner.run()
            await nemesis.setup()
            try:
                return await runner.run()
            finally:
                await nemesis.teardown()
        finally:
            await store.teardown()

    history = asyncio.run(go())
    return history, runner.interrupted


def _judge(s: Scenario, prepared: Prepared, history: History,
           run_dir: Path) -> dict[str, Any]:
    workload = prepared.workload
    names = list(s.checkers or workload.checkers)
    cfg = check_config(s, workload, run_dir, prepared.store)
    return check_results(history, run_checkers(history, names, cfg))


def check_config(s: Scenario, workload: Workload, out_dir: Path,
                 store: Store | None = None) -> CheckConfig:
    """How the scenario's history is checked: its check options, over the store's read
    promises (a Promising store's bounds) and the workload's."""
    promises: dict[str, Any] = (dict(store.read_promises()) if isinstance(store, Promising)
                                else {})
    if isinstance(store, Streaming):
        promises.update(store.stream_promises())
    return dataclasses.replace(
        s.check, out_dir=out_dir,
        options={**workload.checker_options(), **promises, **s.check.options},
        model=s.check.model or workload.checker_options().get("model"),
    )
