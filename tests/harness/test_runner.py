from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from isolde.harness import FnGen, Limit, OpSpec, Recorder, RunLimits, Runner
from isolde.histories import HistoryWriter, Op, read_jsonl


class SlowEveryThird:
    """A store whose every third op hangs past the timeout; the rest succeed at once."""

    name = "slow"
    capabilities = frozenset({"register"})

    def __init__(self) -> None:
        self.n = 0

    async def setup(self) -> None: ...

    async def teardown(self) -> None: ...

    async def open_client(self, worker: int) -> SlowEveryThird:
        return self

    async def close(self) -> None: ...

    async def invoke(self, op: Op) -> Op:
        self.n += 1
        if self.n % 3 == 0:
            await asyncio.sleep(10)
        return op.complete("ok", op.value)


def test_timeout_is_info_and_process_moves_on(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    runner = Runner(store=SlowEveryThird(), generator=Limit(9, FnGen(lambda c: OpSpec("w", 1))),
                    limits=RunLimits(concurrency=1, op_timeout=0.05), history_path=path)
    h = asyncio.run(runner.run())
    assert [op.type for op in h if op.type != "invoke"].count("info") == 3
    # After each info the worker invokes under a fresh process id (0, 1, 2, 3 at concurrency 1).
    procs = [op.process for op in h if op.type == "invoke"]
    assert procs == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    infos = [op for op in h if op.type == "info"]
    assert all(op.error == "timeout" for op in infos)
    assert len(read_jsonl(path)) == 18  # everything on disk too


def test_a_crashed_process_stays_gone_in_the_final_phase() -> None:
    # The third op (the last of the load) times out: the final phase's op comes from process 1.
    runner = Runner(store=SlowEveryThird(), generator=Limit(3, FnGen(lambda c: OpSpec("w", 1))),
                    final=Limit(1, FnGen(lambda c: OpSpec("r", None))),
                    limits=RunLimits(concurrency=1, op_timeout=0.05))
    h = asyncio.run(runner.run())
    assert [(op.f, op.type, op.process) for op in h][-4:] == [
        ("w", "invoke", 0), ("w", "info", 0), ("r", "invoke", 1), ("r", "ok", 1)]


def test_client_exception_is_info(tmp_path: Path) -> None:
    class Boom(SlowEveryThird):
        async def invoke(self, op: Op) -> Op:
            raise ConnectionError("reset by peer")

    runner = Runner(store=Boom(), generator=Limit(2, FnGen(lambda c: OpSpec("w", 1))),
                    limits=RunLimits(concurrency=1))
    h = asyncio.run(runner.run())
    assert [op.type for op in h] == ["invoke", "info", "invoke", "info"]
    assert "ConnectionError" in h[1].error


def test_final_phase_is_bounded_in_time() -> None:
    """A final phase that would run on (here: endless ops on a slow store) is stopped after
    ``final_limit`` seconds, with the grace period for in-flight ops."""

    class Slow(SlowEveryThird):
        async def invoke(self, op: Op) -> Op:
            await asyncio.sleep(0.01)
            return op.complete("ok", op.value)

    runner = Runner(store=Slow(), generator=Limit(2, FnGen(lambda c: OpSpec("w", 1))),
                    final=FnGen(lambda c: OpSpec("r", None)),
                    limits=RunLimits(concurrency=2, final_limit=0.5, grace=0.2))
    t0 = time.monotonic()
    h = asyncio.run(runner.run())
    assert time.monotonic() - t0 < 5
    assert any(op.f == "r" for op in h)


def test_a_client_that_raises_cancelled_does_not_end_the_load(tmp_path: Path) -> None:
    """grpc.aio raises CancelledError from calls in flight on a channel that is closed (the
    Firestore store replaces its client after a restart). That is the op's outcome, unknown --
    not a stop: the worker records info and goes on, and the load runs to its end."""

    class Cancelling(SlowEveryThird):
        async def invoke(self, op: Op) -> Op:
            self.n += 1
            if self.n <= 3:
                raise asyncio.CancelledError()
            return op.complete("ok", op.value)

    runner = Runner(store=Cancelling(), generator=Limit(10, FnGen(lambda c: OpSpec("w", 1))),
                    limits=RunLimits(concurrency=2), history_path=tmp_path / "h.jsonl")
    h = asyncio.run(runner.run())
    done = [op for op in h if op.type != "invoke"]
    assert len(done) == 10, "every op completed: no worker died"
    assert [op.error for op in done if op.type == "info"] == ["cancelled"] * 3
    assert [op.type for op in done].count("ok") == 7
    assert runner.interrupted is None


class CountingWriter(HistoryWriter):
    """Counts the writes that reach the file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[int] = []

    def write_many(self, ops: Sequence[Op]) -> None:
        self.batches.append(len(ops))
        super().write_many(ops)


def test_recorder_writes_one_batch_per_tick_before_the_next_tick(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    writer = CountingWriter(path)
    rec = Recorder(writer, keep=False)
    on_disk: list[int] = []

    async def main() -> None:
        for i in range(5):  # one tick: five events
            rec.record(Op(-1, -1, "invoke", i, "write", i))
        assert writer.batches == [] and not path.read_bytes()  # not yet: the tick goes on
        # The next tick's first callback sees the batch on disk (it was queued before it).
        asyncio.get_running_loop().call_soon(lambda: on_disk.append(len(read_jsonl(path))))
        await asyncio.sleep(0)
        rec.record(Op(-1, -1, "ok", 0, "write", 0))
        await asyncio.sleep(0)

    asyncio.run(main())
    assert on_disk == [5]
    assert writer.batches == [5, 1]
    writer.close()
    assert [op.index for op in read_jsonl(path)] == list(range(6))


def test_recorder_without_a_loop_writes_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    with HistoryWriter(path) as writer:
        rec = Recorder(writer, keep=False)
        rec.record(Op(-1, -1, "invoke", 0, "read", None))
        assert len(read_jsonl(path)) == 1


def test_a_failed_batch_write_is_raised_by_the_next_record(tmp_path: Path) -> None:
    class FullDisk(HistoryWriter):
        def write_many(self, ops: Sequence[Op]) -> None:
            raise OSError(28, "No space left on device")

    async def main() -> None:
        rec = Recorder(FullDisk(tmp_path / "h.jsonl"), keep=False)
        rec.record(Op(-1, -1, "invoke", 0, "write", 1))
        await asyncio.sleep(0)  # the batch's write fails in a loop callback...
        with pytest.raises(OSError, match="No space"):  # ...and the next record says so
            rec.record(Op(-1, -1, "ok", 0, "write", 1))
        with pytest.raises(OSError, match="No space"):
            rec.flush()

    asyncio.run(main())
