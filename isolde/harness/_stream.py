"""The change-stream consumer: reads a :class:`Streaming` store's stream for the whole run and
records each record received as an op of its own process, ``stream``.

Each record is an ``event`` invocation completed ``ok`` at once, at the time it was received:
value ``[key, new image]``, with the stream's ``seq`` when it has one. After the load (and the
final reads) the consumer keeps reading until ``settle`` seconds pass with nothing new, so a
record it never got is lost, not late; a stream that never quiets is cut off after
``SETTLE_CAP`` settles.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ..histories import Op
from ._runner import Runner
from ._store import ChangeStream, StreamEvent, Streaming

log = logging.getLogger("isolde.harness")

STREAM_PROCESS = "stream"
POLL_INTERVAL = 0.02  # seconds between polls that found nothing
ERROR_BACKOFF = 0.2  # seconds after a failed poll
SETTLE_CAP = 10


class StreamConsumer:
    def __init__(self, store: Streaming, settle: float) -> None:
        self.store = store
        self.settle = settle
        self.errors = 0

    async def run(self, runner: Runner) -> None:
        stream = await self.store.open_stream()
        try:
            await self._consume(stream, runner)
        finally:
            await stream.close()
            if self.errors:
                log.warning("change stream: %d polls failed (retried)", self.errors)

    async def _consume(self, stream: ChangeStream, runner: Runner) -> None:
        ended: float | None = None  # when the load ended
        last_news = 0.0
        while True:
            got = await self._poll(stream)
            self._record(runner, got)
            now = time.monotonic()
            if got:
                last_news = now
            if ended is None and (runner.load_done.is_set() or runner.stopping.is_set()):
                ended = last_news = now
            if ended is not None and (now - last_news >= self.settle
                                      or now - ended >= SETTLE_CAP * self.settle):
                return
            if not got:
                await asyncio.sleep(POLL_INTERVAL)

    async def _poll(self, stream: ChangeStream) -> list[StreamEvent]:
        try:
            return await stream.poll()
        except Exception as e:  # the store is down (a killed emulator): poll again
            self.errors += 1
            log.debug("change stream poll failed: %r", e)
            await asyncio.sleep(ERROR_BACKOFF)
            return []

    @staticmethod
    def _record(runner: Runner, events: list[StreamEvent]) -> None:
        rec = runner.recorder
        assert rec is not None
        for ev in events:
            invoke = rec.record(Op(-1, -1, "invoke", STREAM_PROCESS, "event", None))
            extra = {} if ev.seq is None else {"seq": ev.seq}
            rec.record(invoke.complete("ok", [ev.key, ev.value], **extra))
