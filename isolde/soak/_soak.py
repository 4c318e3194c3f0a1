"""Running a soak: segments recorded one after another against one store, each closed segment
checked in a worker process while the next one runs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import shlex
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .._errors import UsageError
from ..checkers import CheckConfig, refuse_unjudgeable
from ..harness import (
    Forgetting,
    RunDirAware,
    RunLimits,
    Runner,
    Scenario,
    Store,
    build_generator,
    check_config,
    prepare_scenario,
    scenario_workload,
    write_json,
)
from ..nemesis import Nemesis
from ..workloads import Consuming, KeyScoped, Workload
from ._check import check_segment, init_worker, write_trend_page
from ._plan import KEY_STRIDE
from ._state import SoakState

log = logging.getLogger("isolde.soak")
Say = Callable[[str], None]


def segment_workload(s: Scenario, index: int) -> Workload:
    """Segment ``index``'s workload: its own seed and its own key range."""
    return scenario_workload(dataclasses.replace(
        s, seed=s.seed + index,
        workload_options={**s.workload_options, "first_key": index * KEY_STRIDE}))


def checker_names(s: Scenario, workload: Workload) -> list[str]:
    """The run's checkers, plus ``stats`` (the summary's ops and latencies) and, for weak reads
    of registers, ``staleness`` (its percentiles), unless --checker chose."""
    if s.checkers:
        return list(s.checkers)
    names = list(workload.checkers)
    weak = s.workload_options.get("read_consistency", "strong") != "strong"
    if weak and workload.op_kind == "register" and "staleness" not in names:
        names.append("staleness")
    return names if "stats" in names else [*names, "stats"]


def prepare(s: Scenario) -> tuple[list[str], Store, Nemesis | None]:
    """The checkers, store and nemesis of a soak of ``s``; what cannot run (a checker that
    cannot judge the workload, a capability or a fault the store lacks) is refused here,
    before any file is written or any load sent."""
    prepared = prepare_scenario(s)
    if isinstance(prepared.workload, Consuming):  # its consumer follows one run, not segments
        raise UsageError(f"isolde soak cannot run workload {s.workload!r} yet: its change-stream "
                         "consumer follows a single run (use isolde run)")
    names = checker_names(s, prepared.workload)
    refuse_unjudgeable(names, {prepared.workload.op_kind}, f"workload {s.workload!r}")
    return names, prepared.store, prepared.nemesis


class Soak:
    """One process's share of a soak (the first run, or a resume)."""

    def __init__(self, state: SoakState, names: list[str], store: Store,
                 nemesis: Nemesis | None, say: Say) -> None:
        self.state, self.plan, self.say = state, state.plan, say
        self.names, self.store, self.nemesis = names, store, nemesis
        self.log_path = self.plan.run_dir / "soak.log"

    def run(self, start: int, to_check: list[int]) -> None:
        """Check ``to_check`` (left by a killed soak) and record segments ``start``... to the
        end of the plan, checking each as it closes."""
        pool = ProcessPoolExecutor(self.plan.check_workers,
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=init_worker, initargs=(os.getpid(),))
        with pool:
            asyncio.run(self._main(pool, start, to_check))

    async def _main(self, pool: ProcessPoolExecutor, start: int, to_check: list[int]) -> None:
        checks = [asyncio.create_task(self._check(pool, i)) for i in to_check]
        checks += [asyncio.create_task(self._on_anomaly(i)) for i, e in
                   self.state.segments.items() if e.get("valid") is False and "on_anomaly" not in e]
        if isinstance(self.store, RunDirAware):  # stores that start processes keep logs there
            self.store.attach_run_dir(self.plan.run_dir)
        await self.store.setup()
        try:
            # Set up once (a fault proxy stays in front of the store for the whole soak); each
            # segment runs the schedule, and its faults are healed when the segment ends.
            if self.nemesis is not None:
                await self.nemesis.setup()
            for i in range(start, self.plan.segments):
                signal_name = await self._record(i, first=i == start)
                checks.append(asyncio.create_task(self._check(pool, i)))
                if signal_name is not None:
                    self.state.status, self.state.interrupted_by = "interrupted", signal_name
                    break
        finally:
            if self.nemesis is not None:
                await self.nemesis.teardown()
            await self.store.teardown()
        await asyncio.gather(*checks)
        if self.state.status == "running":
            self.state.status = "finished"
        await self._trend(pool)
        self.state.save()

    async def _record(self, index: int, first: bool) -> str | None:
        """Record segment ``index``; returns the signal that cut it short, if one did."""
        s = dataclasses.replace(self.plan.scenario, seed=self.plan.scenario.seed + index,
                                time_limit=self.plan.segment_length(index))
        workload = segment_workload(s, index)
        nemesis = self.nemesis
        if nemesis is not None:  # the segment's own fault schedule, drawn from its seed
            nemesis.options = dataclasses.replace(nemesis.options, seed=s.seed)
        seg_dir = self.plan.segment_dir(index)
        seg_dir.mkdir(parents=True, exist_ok=True)
        write_json(seg_dir / "scenario.json", s.to_json())  # its report's scenario and command
        self.state.entry(index)["status"] = "running"
        self.state.save()
        # A resumed soak's store may have lost its state with the killed process: the setup
        # ops (the bank's balances) run again in the first segment each process records.
        setup = workload.setup_generator() if first else None
        runner = Runner(
            store=self.store, generator=build_generator(s, workload.generator()),
            final=workload.final_generator(), setup=setup,
            limits=RunLimits(concurrency=s.concurrency, op_timeout=s.op_timeout, seed=s.seed),
            history_path=seg_dir / "history.jsonl",
            background=[nemesis.run] if nemesis else [],
        )
        await runner.record()
        if isinstance(self.store, Forgetting) and isinstance(workload, KeyScoped):
            # No later segment names these keys (each has its own range): the embedded store
            # drops them, or a soak's memory grows with every key it ever wrote.
            self.store.forget(workload.keys_named())
        write_json(seg_dir / "segment.json", {"index": index, "seconds": s.time_limit,
                                              "checkers": self.names})
        self.state.entry(index)["status"] = "recorded"
        self.state.save()
        return runner.interrupted

    def _config(self, index: int) -> CheckConfig:
        s = self.plan.scenario
        return check_config(s, segment_workload(s, index), self.plan.segment_dir(index),
                            self.store)

    async def _check(self, pool: ProcessPoolExecutor, index: int) -> None:
        loop = asyncio.get_running_loop()
        e = self.state.entry(index)
        try:
            summary = await loop.run_in_executor(
                pool, check_segment, self.plan.segment_dir(index), index, self.names,
                self._config(index), self.log_path, self.plan.run_flags)
        except Exception as err:  # a check that crashed: that segment's verdict is unknown
            log.error("segment %d: check failed: %r", index, err)
            summary = {"valid": "unknown", "error": f"{type(err).__name__}: {err}"}
        e.update(summary)
        e["status"] = "checked"
        self.state.save()
        self.say(segment_line(e))
        await self._trend(pool)
        if e["valid"] is False:
            await self._on_anomaly(index)

    async def _trend(self, pool: ProcessPoolExecutor) -> None:
        """Redraw trend.html in a check worker (after the checks queued before it)."""
        try:
            await asyncio.get_running_loop().run_in_executor(
                pool, write_trend_page, self.plan.run_dir, self.state.to_json())
        except Exception as err:  # a broken pool: the soak's verdicts stand without the page
            log.error("trend.html not written: %r", err)

    async def _on_anomaly(self, index: int) -> None:
        """Run the --on-anomaly command once for a newly invalid segment, with the path of its
        results.json as the last argument."""
        cmd = self.plan.on_anomaly
        e = self.state.entry(index)
        if cmd is None or "on_anomaly" in e:
            return
        results = self.plan.segment_dir(index) / "results.json"
        e["on_anomaly"] = {"command": cmd}
        self.state.save()  # before it runs: a crash must not page twice
        proc = await asyncio.create_subprocess_shell(f"{cmd} {shlex.quote(str(results))}")
        e["on_anomaly"]["exit"] = await proc.wait()
        self.state.save()


def segment_line(e: dict[str, Any]) -> str:
    """One terminal line per checked segment."""
    verdict = {True: "VALID", False: "INVALID"}.get(e["valid"], "UNKNOWN")
    parts = [f"segment {e['index']:>4}: {verdict:<8} {e.get('ops', 0):>8} ops"]
    if e.get("ops_per_s"):
        parts.append(f"{e['ops_per_s']:,.0f} ops/s")
    for f, q in sorted((e.get("latency_ms") or {}).items()):
        parts.append(f"{f} p50 {q['p50']:.1f} ms p99 {q['p99']:.1f} ms")
    if "staleness_ms" in e:
        st = e["staleness_ms"]
        parts.append(f"staleness p50 {st['p50']:.1f} ms p99 {st['p99']:.1f} ms")
    counts = e.get("anomaly_counts") or {}
    if counts:
        parts.append("anomalies: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    if e.get("interrupted"):
        parts.append("(cut short by a kill)")
    if "error" in e:
        parts.append(e["error"])
    return "  ".join(parts)
