"""Scenario (a frozen description of a run) and run_scenario(), which runs and checks it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checkers import CheckConfig, refuse_unjudgeable, run_checkers
from ..histories import History
from ..nemesis import Nemesis, NemesisOptions, make_nemesis
from ..report import check_results, verdict_word
from ..workloads._base import WorkloadOptions, make_workload
from ._generators import Generator, Limit, TimeLimit, rate
from ._results import link_latest, new_run_dir, write_json
from ._runner import Counters, RunLimits, Runner
from ._store import Store, require
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

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["store_dir"] = str(self.store_dir)
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
    gen: Generator = main
    if s.max_ops is not None:
        gen = Limit(s.max_ops, gen)
    if s.rate:
        gen = rate(s.rate, gen)
    return TimeLimit(s.time_limit, gen)


def build_nemesis(s: Scenario, store: Store) -> Nemesis | None:
    """The scenario's nemesis for ``store``; UsageError for a fault the store cannot take."""
    if not s.nemesis:
        return None
    opts = NemesisOptions(interval=s.nemesis_interval, seed=s.seed, **s.nemesis_options)
    return make_nemesis(s.nemesis, store, opts)


def run_scenario(
    s: Scenario,
    on_progress: Callable[[Counters, float], None] | None = None,
    store: Store | None = None,
) -> Outcome:
    """Run the scenario to completion and check it; nothing recorded is lost on error."""
    wopts = WorkloadOptions(
        seed=s.seed,
        concurrency=s.concurrency,
        **{k: v for k, v in s.workload_options.items()
           if k in WorkloadOptions.__dataclass_fields__},
    )
    workload = make_workload(s.workload, wopts)
    names = list(s.checkers or workload.checkers)
    refuse_unjudgeable(names, {workload.op_kind}, f"workload {workload.name!r}")  # before load
    store = store or make_store(s.store, {"seed": s.seed, **s.store_options})
    require(store, workload.needs, workload.name)
    nemesis = build_nemesis(s, store)  # refuses a fault the store cannot take before anything runs
    run_dir = new_run_dir(s.store_dir, s.workload, s.store)
    attach_run_dir = getattr(store, "attach_run_dir", None)
    if attach_run_dir is not None:  # stores that start processes keep their logs in the run
        attach_run_dir(run_dir)
    handler = logging.FileHandler(run_dir / "isolde.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("isolde").addHandler(handler)
    logging.getLogger("isolde").setLevel(logging.INFO)
    try:
        write_json(run_dir / "scenario.json", s.to_json())
        link_latest(run_dir)
        history_path = run_dir / "history.jsonl"
        log.info("run %s: %s", run_dir, s)
        runner = Runner(
            store=store,
            generator=build_generator(s, workload.generator()),
            final=workload.final_generator(),
            setup=getattr(workload, "setup_generator", lambda: None)(),
            limits=RunLimits(concurrency=s.concurrency, op_timeout=s.op_timeout, seed=s.seed),
            history_path=history_path,
            on_progress=on_progress,
            background=[nemesis.run] if nemesis else [],
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
        log.info("recorded %d ops; checking", len(history))
        cfg = dataclasses.replace(
            s.check, out_dir=run_dir,
            options={**workload.checker_options(), **s.check.options},
            model=s.check.model or workload.checker_options().get("model"),
        )
        results = check_results(history, run_checkers(history, names, cfg))
        write_json(run_dir / "results.json", results)
        log.info("verdict: %s", verdict_word(results["valid"]))
        return Outcome(run_dir, history_path, history, results)
    finally:
        logging.getLogger("isolde").removeHandler(handler)
        handler.close()
