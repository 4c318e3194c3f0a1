"""The asyncio runner: workers pull ops from a generator, invoke them on clients, record both.

Every event is recorded the moment it happens, and written to history.jsonl with the others of
its event-loop tick (one write per tick, see :class:`Recorder`). An op that does not
complete within ``op_timeout`` is recorded as ``info`` and its worker continues under a fresh
process id (Jepsen's rule: a process that may still have an op in flight never invokes again).
Ctrl-C (SIGTERM and SIGHUP too, see :mod:`._signals`) or :meth:`Runner.stop` stops generating;
in-flight ops get ``grace`` seconds to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..histories import History, HistoryWriter, Op, read_jsonl
from ._generators import Context, Generator, Observing, OpSpec, Wait
from ._signals import claim
from ._store import Client, Store

log = logging.getLogger("isolde.harness")


@dataclass
class Counters:
    invoked: int = 0
    ok: int = 0
    fail: int = 0
    info: int = 0


class Recorder:
    """Stamps ops with index and time and keeps them, streaming them to the writer.

    Inside an event loop the ops recorded in one tick go to the file in one write, at the start
    of the next tick: before any I/O event of that tick is handled, so before any response that
    could show an op's effect is recorded. A ``kill -9`` therefore loses only ops whose last
    event was in the tick it interrupted, ops still in flight; what the file keeps never shows
    an effect without its op. (Before, each event was a write system call of its own.)
    """

    def __init__(self, writer: HistoryWriter | None, t0: int | None = None,
                 keep: bool = True) -> None:
        self.writer = writer
        self.t0 = time.monotonic_ns() if t0 is None else t0
        self.ops: list[Op] = []
        self.keep = keep
        self.count = 0
        self.counters = Counters()
        self._batch: list[Op] = []
        self._failed: BaseException | None = None  # a write in a loop callback that failed

    def now(self) -> int:
        return time.monotonic_ns() - self.t0

    def record(self, op: Op) -> Op:
        stamped = Op(self.count, self.now(), op.type, op.process, op.f, op.value, op.error,
                     op.extra)
        self.count += 1
        if self.keep:
            self.ops.append(stamped)
        if self.writer is not None:
            self._queue(stamped)
        c = self.counters
        if stamped.type == "invoke":
            c.invoked += 1
        elif stamped.type == "ok":
            c.ok += 1
        elif stamped.type == "fail":
            c.fail += 1
        else:
            c.info += 1
        return stamped

    def _queue(self, op: Op) -> None:
        if self._failed is not None:  # raised where the caller sees it (a worker: the run stops)
            raise self._failed
        self._batch.append(op)
        if len(self._batch) > 1:
            return  # its tick's write is already scheduled
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: nothing to batch with
            self.flush()
            return
        loop.call_soon(self._flush_in_loop)

    def _flush_in_loop(self) -> None:
        try:
            self.flush()
        except Exception as e:  # the loop would only log it: keep it for the next record
            self._failed = e

    def flush(self) -> None:
        """Write what is batched (at the end of a run, or when no loop runs); raises a write
        error an earlier batch met."""
        batch, self._batch = self._batch, []
        if batch and self.writer is not None:
            self.writer.write_many(batch)
        if self._failed is not None:
            raise self._failed


@dataclass
class RunLimits:
    concurrency: int = 10
    op_timeout: float = 5.0  # seconds before an op is recorded as info
    grace: float = 5.0  # seconds in-flight ops get after a stop
    seed: int = 0
    final_limit: float = 30.0  # seconds the final phase (e.g. final reads) may take


@dataclass
class Runner:
    """Runs ``setup`` (one worker), ``generator``, then ``final`` against ``store`` with
    ``limits.concurrency`` workers."""

    store: Store
    generator: Generator
    limits: RunLimits = field(default_factory=RunLimits)
    final: Generator | None = None
    history_path: Path | None = None
    on_progress: Callable[[Counters, float], None] | None = None
    background: list[Callable[[Runner], Any]] = field(default_factory=list)
    setup: Generator | None = None  # e.g. a bank's initial balances, before any other op
    # Tasks that follow the whole run (a change-stream consumer): started with the load, told
    # by ``load_done`` that the final phase is over, then awaited -- not cancelled -- so they
    # record what still arrives; cancelled only when the run fails or is cut short.
    followers: list[Callable[[Runner], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stopping = asyncio.Event()
        self.load_done = asyncio.Event()
        self.rng = random.Random(f"{self.limits.seed}/generator")
        self.recorder: Recorder | None = None
        self._workers: list[asyncio.Task[Any]] = []
        # Each worker's current process, across phases: after an info op the worker goes on as
        # a fresh process, in the final phase too (a checker takes an info op's process to
        # have crashed, so it must never be seen again).
        self.processes: dict[int, Any] = {}
        self.interrupted: str | None = None  # the signal that stopped the load early, by name

    def stop(self) -> None:
        """Stop generating new ops (in-flight ones may still complete)."""
        self.stopping.set()

    async def run(self) -> History:
        """Record the run, then return its history (read back from the file, if any)."""
        await self.record()
        if self.history_path is not None:
            return read_jsonl(self.history_path)
        return History(self.recorder.ops if self.recorder else [], source="run")

    async def record(self) -> None:
        """Run all phases, streaming every op to ``history_path`` (a soak checks the file in
        another process, so the history is not read back here)."""
        writer = HistoryWriter(self.history_path) if self.history_path else None
        # With a file, the file is the history: ops are not also kept in memory, so a long soak
        # runs in flat memory; the history is read back from disk for checking.
        self.recorder = rec = Recorder(writer, keep=writer is None)
        loop = asyncio.get_running_loop()
        installed = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, self._on_sigint)
            installed = True
        ticker = asyncio.create_task(self._tick()) if self.on_progress else None
        extra_tasks = [asyncio.create_task(b(self)) for b in self.background]
        follow_tasks = [asyncio.create_task(f(self)) for f in self.followers]
        try:
            clients = [await self.store.open_client(w) for w in range(self.limits.concurrency)]
            try:
                if self.setup is not None:
                    await self._phase(self.setup, clients[:1])
                await self._phase(self.generator, clients)
                for t in extra_tasks:
                    t.cancel()
                for t in extra_tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await t
                extra_tasks = []
                if self.final is not None and not self.stopping.is_set():
                    await self._final_phase(self.final, clients)
                self.load_done.set()
                await asyncio.gather(*follow_tasks)
            finally:
                for c in clients:
                    with contextlib.suppress(Exception):
                        await c.close()
        finally:
            tasks = [*extra_tasks, *follow_tasks]
            for t in tasks:
                t.cancel()
            for t in tasks:  # let them clean up (a nemesis heals) before the writer closes
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            if ticker:
                ticker.cancel()
            if installed:
                loop.remove_signal_handler(signal.SIGINT)
            if writer:
                try:
                    rec.flush()
                finally:
                    writer.close()
            if self.on_progress:
                self.on_progress(rec.counters, rec.now() / 1e9)

    async def _final_phase(self, gen: Generator, clients: list[Client]) -> None:
        """The final phase, stopped (as by a stop, with the grace period) after
        ``final_limit`` seconds: a run ends in bounded time whatever the keys."""

        def overrun() -> None:
            log.warning("final phase still running after %gs: stopping it", self.limits.final_limit)
            self.stop()

        timer = asyncio.get_running_loop().call_later(self.limits.final_limit, overrun)
        try:
            await self._phase(gen, clients)
        finally:
            timer.cancel()

    def _on_sigint(self) -> None:
        sig = claim()  # SIGINT, or a SIGTERM / SIGHUP forwarded as one
        if self.interrupted is None:
            self.interrupted = sig.name
        if self.stopping.is_set():
            for t in self._workers:  # a second Ctrl-C: stop waiting for in-flight ops
                t.cancel()
            return
        log.warning("interrupted (%s): no new ops; waiting up to %.0fs for in-flight ops",
                    sig.name, self.limits.grace)
        self.stop()

    async def _tick(self) -> None:
        assert self.recorder is not None
        while True:
            await asyncio.sleep(0.25)
            if self.on_progress:
                self.on_progress(self.recorder.counters, self.recorder.now() / 1e9)

    async def _phase(self, gen: Generator, clients: list[Client]) -> None:
        n = len(clients)
        self._workers = [asyncio.create_task(self._worker(w, gen, clients[w])) for w in range(n)]
        stop_wait = asyncio.create_task(self.stopping.wait())
        pending: set[asyncio.Task[Any]] = set(self._workers)
        while pending:
            done, pending = await asyncio.wait(
                pending | {stop_wait}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stop_wait)
            # Every failed worker's error is retrieved (several fail together on a full disk).
            errors = [e for t in done if t is not stop_wait and not t.cancelled()
                      and (e := t.exception()) is not None]
            if errors:
                stop_wait.cancel()
                for p in pending:
                    p.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                raise errors[0]
            if stop_wait in done:
                # Grace period for in-flight ops, then cancel what is left (left open: info).
                if pending:
                    _, pending = await asyncio.wait(pending, timeout=self.limits.grace)
                for p in pending:
                    p.cancel()
                for p in pending:
                    with contextlib.suppress(asyncio.CancelledError):
                        await p
                break
        stop_wait.cancel()

    async def _worker(self, worker: int, gen: Generator, client: Client) -> None:
        rec = self.recorder
        assert rec is not None
        process: Any = self.processes.get(worker, worker)
        n = self.limits.concurrency
        timeout = self.limits.op_timeout
        observer = gen if isinstance(gen, Observing) else None
        while not self.stopping.is_set():
            ctx = Context(rec.now(), worker, process, n, self.rng)
            ans = gen.next(ctx)
            if ans is None:
                return
            if isinstance(ans, Wait):
                delay = (ans.until - rec.now()) / 1e9
                if delay > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), delay)
                continue
            assert isinstance(ans, OpSpec)
            invoke = rec.record(Op(-1, -1, "invoke", process, ans.f, ans.value, None,
                                   ans.extra))
            try:
                # asyncio.timeout rather than wait_for: no extra task per op.
                async with asyncio.timeout(timeout):
                    done = await client.invoke(invoke)
            except TimeoutError:
                done = invoke.complete("info", invoke.value, error="timeout")
            except asyncio.CancelledError:
                if _cancelled_from_outside():
                    raise  # stopped mid-op: the invocation stays open (may have happened)
                # The client's own cancellation, not ours: grpc.aio cancels every call in flight
                # on a channel that is closed (a store replacing its client after a restart).
                # Re-raising would end this worker silently and cut the load short.
                done = invoke.complete("info", invoke.value, error="cancelled")
            except Exception as e:  # an unexpected client error: the op may have happened
                log.debug("client error on %s: %r", invoke.f, e)
                done = invoke.complete("info", invoke.value, error=f"{type(e).__name__}: {e}")
            done = rec.record(done)
            if observer is not None:
                observer.completed(done)
            if done.type == "info":
                process = process + n if isinstance(process, int) else process
                self.processes[worker] = process


def _cancelled_from_outside() -> bool:
    """Whether this task was asked to stop (by the runner, Ctrl-C or a timeout): a
    ``CancelledError`` that no ``cancel()`` of this task caused came from the code it awaited."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0
