"""Latency, partition and reset through the fault proxy, on the emulator: the workers' gRPC client
goes to the proxy (HTTP/2 passes it as raw bytes) while the store's own requests keep their direct
line. Each fault, switched on alone, ends a write and a read as docs/firestore-errors.md says; then
whole runs under each fault reach a verdict, valid (the emulator is serializable), with the fault
seen acting in the history."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Outcome, Scenario, run_scenario
from isolde.harness.stores.firestore import (
    CloudOptions,
    FirestoreEmulatorStore,
    FirestoreOptions,
    FirestoreStore,
)
from isolde.histories import NEMESIS, History, Op
from isolde.nemesis._proxy import FaultProxy

from . import _rig

TIMEOUT_S = 0.5  # the store's request deadline here: a partition outlasts it


class Rig(_rig.Rig):
    """The workers' client through a fault proxy in front of the emulator."""

    def __init__(self) -> None:
        super().__init__(FirestoreEmulatorStore(FirestoreOptions(timeout=TIMEOUT_S), seed=5))

    def before_clients(self) -> None:
        assert self.store.endpoint is not None
        self.proxy = FaultProxy(self.store.endpoint, seed=5)
        self.store.set_client_endpoint(*self.run(self.proxy.start()))

    def heal(self) -> None:
        self.proxy.clear()

    def value(self, k: Any) -> Any:
        """What the emulator holds now, read through the healed proxy (a fresh connection
        may need a try or two after a reset)."""
        self.heal()
        for _ in range(20):
            done = self.op("read", [k, None])
            if done.type == "ok":
                return done.value[1]
            self.run(asyncio.sleep(0.2))
        pytest.fail(f"no read of {k!r} succeeded after the heal: {done}")

    def after_teardown(self) -> None:
        self.run(self.proxy.stop())


def test_the_workers_go_through_the_proxy_the_store_does_not(rig: Rig) -> None:
    before = rig.proxy.stats.requests
    assert rig.op("write", ["via", 1]).type == "ok"
    assert rig.proxy.stats.requests > before  # the op's bytes crossed the proxy
    assert rig.store.admin is not rig.store.conn.client  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="before clients are opened"):
        rig.store.set_client_endpoint("127.0.0.1", 9)


def test_latency_delays_every_request(rig: Rig) -> None:
    rig.proxy.set_latency(300.0)
    delayed = rig.proxy.stats.delayed
    t0 = time.monotonic()
    w = rig.op("write", ["lat", 1])
    r = rig.op("read", ["lat", None])
    took = time.monotonic() - t0
    assert (w.type, r.type, r.value) == ("ok", "ok", ["lat", 1])
    assert rig.proxy.stats.delayed > delayed
    assert took >= 0.6  # a lower bound: each op's request waited 300 ms on its way


def test_partition_times_out_writes_as_info_reads_as_fail(rig: Rig) -> None:
    assert rig.op("write", ["part", 1]).type == "ok"
    rig.proxy.partition()
    w = rig.op("write", ["part", 2])
    r = rig.op("read", ["part", None])
    assert (w.type, w.error) == ("info", "timeout")  # held, not refused: it may yet apply
    assert (r.type, r.error) == ("fail", "timeout")
    assert rig.value("part") in (1, 2)


def test_reset_ends_ops_in_unavailable(rig: Rig) -> None:
    """Every chunk's connection reset, before or after delivery: a write on an open connection
    ends UNAVAILABLE (``info``: it may have been delivered); once the connection is gone, gRPC
    cannot open one (``connect-failed``: nothing sent). Reads ``fail`` either way."""
    assert rig.op("write", ["rst", 0]).type == "ok"
    rig.proxy.set_reset(1.0)
    done = [rig.op("write", ["rst", i]) for i in range(1, 6)]
    r = rig.op("read", ["rst", None])
    assert rig.proxy.stats.resets >= 1
    assert ("info", "unavailable") in {(d.type, d.error) for d in done}, done
    assert {(d.type, d.error) for d in done} <= {("info", "unavailable"),
                                                 ("fail", "connect-failed")}, done
    assert r.type == "fail" and r.error in ("unavailable", "connect-failed"), r
    assert rig.value("rst") in range(6)


def test_a_cloud_store_has_no_endpoint_for_the_proxy_one_with_an_emulator_host_has() -> None:
    from isolde._errors import UsageError
    from isolde.nemesis import NemesisOptions, make_nemesis

    with pytest.raises(UsageError) as e:
        make_nemesis(["latency"], FirestoreStore(CloudOptions(project="p")), NemesisOptions())
    line = str(e.value)
    assert "\n" not in line and "no local endpoint" in line and "client-timeout" in line
    store = FirestoreStore(CloudOptions(emulator_host="127.0.0.1:9"))
    nem = make_nemesis(["latency", "partition", "reset", "lost-response"], store,
                       NemesisOptions())
    # One proxy; lost-response stays on the client's hook (the other resource schedules it).
    assert sorted(type(r).__name__ for r in nem.resources) == ["ClientHooks", "ProxyResource"]


# --- whole runs ------------------------------------------------------------------------------
def run(tmp: Path, fault: str, **kw: Any) -> Outcome:
    """A run under ``fault`` alone, capped by op count: the first fault window opens after
    ``nemesis_interval`` (1 s: ~550 ops on an idle 2-core machine), long before the cap."""
    base: dict[str, Any] = dict(
        store="firestore-emulator", nemesis=(fault,), nemesis_interval=1.0, time_limit=300.0,
        max_ops=3000, seed=1, store_dir=tmp, store_options={"timeout": TIMEOUT_S})
    base.update(kw)
    return run_scenario(Scenario(**base))


def inside(history: History, fault: str) -> list[tuple[Op, Op]]:
    """The workers' ops that began after ``fault`` was in place and ended before its heal
    began: every request they sent went through it."""
    spans, start = [], None
    for op in history.nemesis_ops():
        if op.f == f"start-{fault}" and op.is_ok:
            start = op.time
        elif op.f == f"stop-{fault}" and op.is_invoke and start is not None:
            spans.append((start, op.time))
            start = None
    return [(inv, done) for inv, done in history.pairs()
            if inv.process != NEMESIS and done is not None
            and any(s <= inv.time and done.time <= e for s, e in spans)]


@pytest.mark.emulator
@pytest.mark.usefixtures("firestore_jar")
def test_run_under_latency_is_valid_and_slower_in_the_windows(tmp_path: Path) -> None:
    out = run(tmp_path, "latency", nemesis_options={"latency_ms": (400.0, 400.0), "jitter": 0.0},
              store_options={})
    assert out.valid is True, out.results
    ops = inside(out.history, "latency")
    assert ops, "no op ran inside a latency window"
    # A lower bound, not a measurement: each request waited 400 ms in the proxy.
    assert all(done.time - inv.time >= 400e6 for inv, done in ops if done.is_ok)


@pytest.mark.emulator
@pytest.mark.usefixtures("firestore_jar")
def test_run_under_partition_is_valid_and_times_out_in_the_windows(tmp_path: Path) -> None:
    out = run(tmp_path, "partition")
    assert out.valid is True, out.results
    ops = inside(out.history, "partition")
    assert ops, "no op ran inside a partition window"
    # Nothing crosses a partition: no op inside one succeeds (a write may apply after the heal).
    for inv, done in ops:
        want = ("fail", "timeout") if inv.f == "read" else ("info", "timeout")
        assert (done.type, done.error) == want, (inv, done)


@pytest.mark.emulator
@pytest.mark.usefixtures("firestore_jar")
def test_run_under_reset_is_valid_and_ends_ops_in_unavailable(tmp_path: Path) -> None:
    out = run(tmp_path, "reset", store_options={})
    assert out.valid is True, out.results
    stops = [op.value for op in out.history.nemesis_ops() if op.f == "stop-reset" and op.is_ok]
    assert stops and stops[-1]["resets_so_far"] > 0
    # A broken connection: UNAVAILABLE, "info" for a write, "fail" for a read.
    broken = {(inv.f, done.type) for inv, done in out.history.pairs()
              if done is not None and done.error == "unavailable"}
    assert broken and broken <= {("read", "fail"), ("write", "info"), ("cas", "info")}, broken
    errors = out.results["checkers"]["stats"]["errors"]
    assert not [e for e in errors if e.startswith("unexpected")], errors
