"""The stream workload on Firestore: a snapshot listener on the run's collection, judged as the
stream of states it promises to be (two quick writes may arrive as one snapshot). Valid with no
faults on the emulator and on the cloud path (``--store firestore --emulator-host``, its
documents deleted after); a kill of the in-memory emulator shows as what it lost."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Outcome, Scenario, StreamEvent, run_scenario
from isolde.harness.stores.firestore import FirestoreEmulatorStore
from isolde.harness.stores.firestore._stream import FirestoreStream
from isolde.histories import Op

from ...conftest import ROOT
from ..verdicts import assert_kill_shows_as_lost
from .conftest import documents

pytestmark = [pytest.mark.usefixtures("firestore_jar"), pytest.mark.emulator]
PROMISES = {"exactly_once": False, "ordered_per_key": True, "every_write": False}
OPS = 120


def run(tmp: Path, seed: int, **kw: Any) -> Outcome:
    # Capped by ops, not seconds: a busy machine runs the same load, only slower. The emulator
    # locks pessimistically (two appends to one key: one waits, up to 2 s, then aborts): few
    # workers, keys spread and retired early, or most appends time out.
    base: dict[str, Any] = dict(
        store="firestore-emulator", workload="stream", time_limit=240.0, max_ops=OPS,
        concurrency=2, seed=seed, store_dir=tmp,
        workload_options={"keys": 10, "options": {"settle": 5.0, "max_writes_per_key": 8}})
    base.update(kw)
    return run_scenario(Scenario(**base))


def assert_every_ok_append_delivered(r: dict[str, Any], ops: int) -> None:
    assert r["valid"] is True, r["anomalies"][:3]
    assert r["promises"] == PROMISES
    ok, info = r["writes"]["ok"], r["info_writes"]
    assert ok > ops * 2 // 3 and sum(r["writes"].values()) == ops
    # A snapshot may carry several appends: at most one record per append, at least one per key.
    assert 0 < r["events"] <= ok + info["seen"]
    lag = r["lag_ms"]
    assert lag["events"] == ok and 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    assert r["audit"]["mismatched"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_faults_every_write_reaches_the_listener(tmp_path: Path, seed: int) -> None:
    out = run(tmp_path, seed)
    assert_every_ok_append_delivered(out.results["checkers"]["change-stream"], OPS)
    events = [op for op in out.history if op.f == "event" and op.type == "ok"]
    assert all(op.extra["seq"].endswith("Z") for op in events)  # the update time, RFC 3339


def test_kill_of_the_in_memory_emulator_is_reported_lost(tmp_path: Path) -> None:
    out = run(tmp_path, 1, nemesis=("kill",), nemesis_interval=3.0, time_limit=10.0,
              max_ops=None, op_timeout=2.0,
              workload_options={"keys": 2, "options": {"max_writes_per_key": 3, "settle": 5.0}})
    assert_kill_shows_as_lost(out, "firestore-emulator")


def test_cloud_path_listens_and_deletes_its_documents(firestore_host: str,
                                                      tmp_path: Path) -> None:
    store = tmp_path / "store"
    p = subprocess.run(
        [sys.executable, "-m", "isolde", "run", "--store", "firestore", "--emulator-host",
         firestore_host, "--project", "isolde", "--workload", "stream", "--max-ops", "100",
         "--time-limit", "240", "--concurrency", "2", "--keys", "10", "--max-writes-per-key",
         "8", "--settle", "3", "--yes", "--no-progress",
         "--collection", "isolde-stream", "--store-dir", str(store)],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "a snapshot listener on the collection" in p.stdout
    assert "Traceback" not in p.stderr
    results = json.loads(next(store.rglob("results.json")).read_text())
    # The cloud run keeps a tenth of its ops for the final reads: ~90 appends.
    r = results["checkers"]["change-stream"]
    assert_every_ok_append_delivered(r, sum(r["writes"].values()))
    assert documents(firestore_host, "isolde-stream") == []


def test_ctrl_c_closes_the_listener_and_deletes_the_documents(firestore_host: str,
                                                              tmp_path: Path) -> None:
    # The listener's threads are the SDK's: left open, they would keep the process alive.
    args = ["run", "--store", "firestore", "--emulator-host", firestore_host, "--project",
            "isolde", "--workload", "stream", "--max-ops", "2000", "--time-limit", "240",
            "--concurrency", "2", "--keys", "10", "--yes", "--no-progress",
            "--collection", "isolde-stream-interrupted", "--store-dir", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "isolde", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while (time.monotonic() < deadline
           and documents(firestore_host, "isolde-stream-interrupted") == []):
        time.sleep(0.5)
    assert documents(firestore_host, "isolde-stream-interrupted") != [], "the run never wrote"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err and "Exception in thread" not in err, err
    assert "interrupted by SIGINT" in out
    assert documents(firestore_host, "isolde-stream-interrupted") == []


def test_teardown_closes_a_listener_left_open(tmp_path: Path) -> None:
    """The consumer closes its stream; the store's teardown closes any it did not (an error,
    Ctrl-C between the two), and the listener's threads end."""
    store = FirestoreEmulatorStore(seed=1)
    store.attach_run_dir(tmp_path)
    append = Op(0, 0, "invoke", 0, "txn", [["append", 7, 1]])

    async def go() -> tuple[FirestoreStream, Any, list[StreamEvent]]:
        await store.setup()
        try:
            stream = await store.open_stream()
            assert (await (await store.open_client(0)).invoke(append)).type == "ok"
            got: list[StreamEvent] = []
            for _ in range(600):  # a minute, on a busy machine
                got += await stream.poll()
                if got:
                    break
                await asyncio.sleep(0.1)
            watch = stream.watch
            assert watch is not None and watch.is_active
            return stream, watch, got
        finally:
            await store.teardown()

    stream, watch, got = asyncio.run(go())
    assert [(e.key, e.value) for e in got] == [(7, [1])]
    assert stream.closed and not watch.is_active and stream.client is None
