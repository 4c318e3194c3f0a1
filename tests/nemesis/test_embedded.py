"""Embedded-store faults: the simulated network, partitions, lag spikes, and the schedule."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import Scenario, run_scenario
from isolde.harness.stores._replicated import Lag
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op
from isolde.nemesis import NemesisOptions, WindowIndex, fault_windows, make_nemesis

from ._stale import stale_reads


def _op(f: str, value: object, process: int = 0, **extra: object) -> Op:
    return Op(0, 0, "invoke", process, f, value, None, extra)


def test_pause_holds_requests_until_resume() -> None:
    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0))
        client = await store.open_client(0)
        store.faults.pause()
        task = asyncio.create_task(client.invoke(_op("write", [1, 5])))
        await asyncio.sleep(0.05)
        assert not task.done()
        assert store.data.latest(1) == (-1, None)  # not applied while paused
        store.faults.resume()
        done = await asyncio.wait_for(task, 1)
        assert done.type == "ok" and store.data.latest(1)[1] == 5

    asyncio.run(go())


def test_lost_response_applies_but_never_replies() -> None:
    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0))
        client = await store.open_client(0)
        store.faults.lost_response_p = 1.0
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.invoke(_op("write", [1, 5])), 0.1)
        assert store.data.latest(1)[1] == 5  # the write happened: the op is info, not fail
        store.faults.clear()
        assert not store.faults.active

    asyncio.run(go())


def test_duplicate_delivers_twice_unless_idempotent() -> None:
    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0))
        client = await store.open_client(0)
        store.faults.duplicate_p, store.faults.duplicate_delay_ms = 1.0, 5.0
        await client.invoke(_op("write", [1, 5]))
        await client.invoke(_op("write", [1, 6]))
        await store.faults.drain()
        assert store.faults.duplicates_applied == 2
        assert len(store.data.versions[1]) == 4  # each write applied twice
        # With an idempotency token the copy is acknowledged but not applied again.
        await client.invoke(_op("write", [2, 7], token="t1"))
        await store.faults.drain()
        assert len(store.data.versions[2]) == 1

    asyncio.run(go())


def test_latency_adds_round_trip_time() -> None:
    async def go() -> float:
        store = MemoryStore(MemoryOptions(latency_ms=0))
        client = await store.open_client(0)
        store.faults.latency_ms = 40.0
        loop = asyncio.get_running_loop()
        t = loop.time()
        await client.invoke(_op("read", [1, None]))
        return loop.time() - t

    assert asyncio.run(go()) >= 0.035


def test_unsupported_faults_are_refused_with_the_supported_list() -> None:
    store = MemoryStore(MemoryOptions())
    with pytest.raises(Exception, match=r"cannot take fault .kill.*supports: pause, partition"):
        make_nemesis(["kill"], store, NemesisOptions())
    with pytest.raises(Exception, match="clock-skew needs --writers lww"):
        make_nemesis(["clock-skew"], store, NemesisOptions())
    with pytest.raises(Exception, match="unknown fault 'nope'"):
        make_nemesis(["nope"], store, NemesisOptions())
    single = MemoryStore(MemoryOptions(replicas=1))
    with pytest.raises(Exception, match="at least two replicas"):
        make_nemesis(["partition"], single, NemesisOptions())


def _scenario(tmp: Path, **kw: object) -> Scenario:
    base: dict[str, object] = dict(
        time_limit=3.0, concurrency=5, seed=11, op_timeout=0.3, store_dir=tmp,
        nemesis_interval=0.4, checkers=("stats",),
        store_options={"latency_ms": 0.2, "lag_ms": 0.5, "default_read": "eventual"},
        workload_options={"keys": 3, "read_consistency": "eventual"},
    )
    base.update(kw)
    return Scenario(**base)  # type: ignore[arg-type]


def test_partition_stale_reads_concentrate_in_fault_windows(tmp_path: Path) -> None:
    out = run_scenario(_scenario(tmp_path, nemesis=("partition",)))
    windows = fault_windows(out.history)
    assert len(windows) >= 3 and all(w.healed for w in windows)
    assert {w.fault for w in windows} == {"partition"}
    assert all(w.value["isolated"] for w in windows)  # the targets are named
    stale, reads = stale_reads(out.history)
    idx = WindowIndex(windows)
    inside = [i for i in reads if idx.covers(out.history.times[i])]
    outside = [i for i in reads if not idx.covers(out.history.times[i])]
    stale_set = set(stale)
    frac_in = sum(i in stale_set for i in inside) / len(inside)
    frac_out = sum(i in stale_set for i in outside) / len(outside)
    assert frac_in > 0.1 and frac_in > 3 * frac_out, (frac_in, frac_out)
    assert out.results["faults"]["healed"] is True


def test_lag_spike_makes_reads_stale_in_windows(tmp_path: Path) -> None:
    out = run_scenario(_scenario(tmp_path, nemesis=("lag-spike",)))
    stale, _ = stale_reads(out.history)
    idx = WindowIndex(fault_windows(out.history))
    stale_in = sum(1 for i in stale if idx.covers(out.history.times[i]))
    assert stale_in > 0.5 * len(stale) > 0


def test_same_seed_same_fault_schedule(tmp_path: Path) -> None:
    def faults(d: Path) -> list[tuple[str, str, str]]:
        out = run_scenario(_scenario(d, nemesis=("partition", "latency", "lag-spike", "pause"),
                                     concurrency=1, time_limit=2.5, nemesis_interval=0.2))
        return [(op.type, op.f, repr(op.value)) for op in out.history.nemesis_ops()]

    a, b = faults(tmp_path / "a"), faults(tmp_path / "b")
    assert len(a) >= 16 and a == b
    # Every fault is an invocation followed by its completion; starts and stops alternate.
    fs = [f for t, f, _ in a if t == "invoke"]
    assert all(x.startswith("start-") for x in fs[0::2])
    assert all(y == "stop-" + x[6:] for x, y in zip(fs[0::2], fs[1::2], strict=False))


def test_heals_when_stopped_mid_fault() -> None:
    from isolde.harness import RunLimits, Runner
    from isolde.workloads._base import WorkloadOptions, make_workload

    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0.1))
        nem = make_nemesis(["pause"], store, NemesisOptions(interval=0.1, seed=1))
        wl = make_workload("register", WorkloadOptions())
        runner = Runner(store, wl.generator(), RunLimits(concurrency=3, op_timeout=0.2, grace=0.2),
                        background=[nem.run])
        asyncio.get_running_loop().call_later(0.15, runner.stop)  # inside the first fault
        h = await runner.run()
        assert not store.faults.paused
        fs = [op.f for op in h.nemesis_ops()]
        assert fs[-2:] == ["stop-pause", "stop-pause"]
        assert fault_windows(h)[-1].healed

    asyncio.run(go())


def test_heals_when_the_run_fails() -> None:
    from isolde.harness import FnGen, RunLimits, Runner

    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0.1, lag_ms=1))
        nem = make_nemesis(["partition"], store, NemesisOptions(interval=0.05, seed=2))
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def boom(ctx: object) -> object:
            if loop.time() - t0 > 0.08:  # inside the first partition
                raise RuntimeError("generator bug")
            from isolde.harness import OpSpec
            return OpSpec("read", [1, None])

        runner = Runner(store, FnGen(boom), RunLimits(concurrency=2),  # type: ignore[arg-type]
                        background=[nem.run])
        with pytest.raises(RuntimeError):
            await runner.run()
        assert all(f.isolated_since is None for f in store.data.followers)
        assert runner.recorder is not None
        assert runner.recorder.ops[-1].f.startswith("stop-partition")

    asyncio.run(go())


def test_lag_spike_and_partition_unit() -> None:
    store = MemoryStore(MemoryOptions(replicas=3, lag_ms=1, lag_kind="fixed"))
    nem = make_nemesis(["lag-spike"], store, NemesisOptions())
    import random

    value = asyncio.run(nem.faults[0].start(random.Random(1)))
    assert store.data.lag.spike_ms == value["spike_ms"] > 0
    nem.heal_now()
    assert store.data.lag == Lag(1, "fixed")


def test_lost_responses_are_info_and_linearizability_still_holds(tmp_path: Path) -> None:
    out = run_scenario(_scenario(
        tmp_path, nemesis=("lost-response",), checkers=None, time_limit=2.0,
        nemesis_options={"lost_response_p": 0.2},
        store_options={"latency_ms": 0.2, "default_read": "strong"},
        workload_options={"keys": 4, "ops_per_key": 60, "read_consistency": "strong"},
        check=CheckConfig(time_limit=60)))
    infos = [op for op in out.history if op.type == "info" and op.process != "nemesis"]
    assert len(infos) > 10
    assert out.results["checkers"]["linearizable"]["valid"] is True
    assert out.valid is True
