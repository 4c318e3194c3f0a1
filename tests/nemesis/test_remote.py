"""Process and proxy faults end to end, on a key-value server run as a real subprocess."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Scenario, run_scenario
from isolde.nemesis import NemesisOptions, fault_windows, make_nemesis

from ..hunt import hunt
from ._stale import stale_reads
from .kvstore import KVStore


def _run(tmp: Path, nemesis: tuple[str, ...], store: KVStore, **kw: object) -> Any:
    base: dict[str, Any] = dict(
        store="kv-test", nemesis=nemesis, time_limit=2.5, concurrency=4, seed=3,
        op_timeout=0.3, nemesis_interval=0.5, store_dir=tmp, checkers=("stats",),
        workload_options={"keys": 2, "ops_per_key": 100_000, "read_consistency": "strong"})
    base.update(kw)
    return run_scenario(Scenario(**base), store=store)  # type: ignore[arg-type]


def test_kill_loses_writes_of_an_in_memory_server(tmp_path: Path) -> None:
    # The loss shows only if some key is read after a restart before anything rewrites it: a
    # race, so more keys, and seeds until it shows (one run alone finds it nearly always; a busy
    # machine gets more).
    out = hunt(lambda seed: _run(tmp_path / str(seed), ("kill",), KVStore(), seed=seed,
                                 workload_options={"keys": 6, "ops_per_key": 100_000,
                                                   "read_consistency": "strong"}),
               lambda out: bool(stale_reads(out.history)[0]), first_seed=3)
    h = out.history
    windows = fault_windows(h)
    assert windows and all(w.healed for w in windows)
    assert windows[0].value["killed"] == ["kv"]
    stale, _ = stale_reads(h)
    counts = Counter((op.type, op.f, str(op.error)[:20]) for op in h)
    assert stale, f"a restarted in-memory server forgets acknowledged writes: {counts}"
    first = min(h.times[i] for i in stale)
    assert first > windows[0].start, (first, windows)  # only after the first kill
    # During the kill nothing could connect: those ops certainly failed.
    assert any(op.type == "fail" and "connect" in str(op.error) for op in h), counts


def test_lost_responses_give_info_ops_without_stale_reads(tmp_path: Path) -> None:
    store = KVStore()
    out = _run(tmp_path, ("lost-response",), store, nemesis_options={"lost_response_p": 0.5})
    h = out.history
    infos = [op for op in h if op.type == "info" and op.process != "nemesis"]
    assert infos and all(op.error == "timeout" for op in infos)
    assert stale_reads(h)[0] == []  # an info write that happened is no anomaly
    assert out.results["faults"]["healed"] is True


def test_pause_stops_the_process_and_resumes_it(tmp_path: Path) -> None:
    store = KVStore()
    states: list[str] = []

    async def go() -> None:
        await store.setup()
        nem = make_nemesis(["pause"], store, NemesisOptions())
        try:
            await nem.faults[0].start(random.Random(0))
            for _ in range(100):  # the signal is delivered asynchronously
                if store.kv.state() == "T":
                    break
                await asyncio.sleep(0.01)
            states.append(store.kv.state())
            await nem.faults[0].stop()
            states.append(store.kv.state())
        finally:
            await store.teardown()

    asyncio.run(go())
    assert states[0] == "T" and states[1] in ("S", "R")


def test_partition_and_latency_through_the_proxy(tmp_path: Path) -> None:
    store = KVStore()
    out = _run(tmp_path, ("partition", "latency", "duplicate", "reset"), store,
               time_limit=4.5, nemesis_interval=0.4)
    h = out.history
    faults = {w.fault: w for w in fault_windows(h)}
    assert set(faults) == {"partition", "latency", "duplicate", "reset"}
    assert faults["partition"].value == {"isolated": ["client<->kv"], "via": "proxy"}
    assert store.client_endpoint is not None and store.client_endpoint != store.endpoint
    assert any(op.type == "info" for op in h)
    assert out.results["faults"]["healed"] is True


def test_memory_store_refuses_remote_faults_and_cloud_refuses_proxy() -> None:
    class Cloud:
        name = "dynamodb"
        endpoint = None

        def set_client_endpoint(self, host: str, port: int) -> None: ...

    with pytest.raises(Exception, match="runs no process isolde manages"):
        make_nemesis(["kill"], Cloud(), NemesisOptions())
    with pytest.raises(Exception, match="no local endpoint"):
        make_nemesis(["lost-response"], Cloud(), NemesisOptions())
    with pytest.raises(Exception, match="embedded store"):
        make_nemesis(["lag-spike"], KVStore(), NemesisOptions())
