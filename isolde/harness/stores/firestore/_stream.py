"""A consumer's view of the run's collection through a Firestore snapshot listener
(``on_snapshot`` on the collection: :class:`isolde.harness.ChangeStream`).

A listener delivers *states*, not a log: each snapshot lists the documents that changed since
the last one, each with its contents now, so two quick writes to a document may arrive as one
change (the checker is told: ``stream_every_write`` false). There is no per-record sequence
number; a record's ``seq`` is the document's update time (RFC 3339, nanoseconds).

The SDK runs the listener on threads of its own (a gRPC bidi stream and its consumer thread)
and calls back on one of them; the callback only puts the records into a thread-safe queue,
which ``poll`` drains on the event loop. A queue rather than ``loop.call_soon_threadsafe``: a
late callback, after the run's loop is gone, must find somewhere to go. The SDK resumes the
listen stream itself after a recoverable error (an emulator restarting: UNAVAILABLE), with its
resume token; a listener that died anyway (the server refused to resume) is opened again, and
its first snapshot is the collection as it is now.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import orjson

from ....checkers import STREAM_STATES
from ..._store import StreamEvent
from ._cost import Usage

log = logging.getLogger("isolde.firestore")

# What a listener promises (docs/change-streams.md): a state per change, in order -- "for a
# given stream, read_time is guaranteed to be monotonically increasing" (TargetChange, the
# Listen RPC's reference) -- but neither every intermediate state nor each state once (a
# listener opened again starts with the current state of every document).
PROMISES = {**STREAM_STATES, "stream_ordered_per_key": True}


def key_of(doc_id: str) -> Any:
    """The workload key of a document id (``_ops.doc_id``: quoted JSON)."""
    text = unquote(doc_id)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def event_of(change: Any) -> StreamEvent | None:
    """The record of an added or modified document; None for a removed one (the workload never
    deletes: a removal is an emulator losing its documents, and has no new image)."""
    if change.type.name == "REMOVED":
        return None
    doc = change.document
    data = doc.to_dict() or {}
    return StreamEvent(key_of(doc.id), data.get("v"), doc.update_time.rfc3339())


class FirestoreStream:
    """The run's collection, listened to with a synchronous client of its own (the SDK's
    listeners are not on its AsyncClient) that goes straight to the store: the workers' client
    faults never touch it."""

    def __init__(self, new_client: Callable[[], Any], collection: str, usage: Usage) -> None:
        self.new_client = new_client
        self.collection = collection
        self.usage = usage
        self.inbox: queue.SimpleQueue[list[StreamEvent]] = queue.SimpleQueue()
        self.client: Any = None
        self.watch: Any = None
        self.listens = 0  # listeners opened: 1, plus one per listener that died
        self.closed = False

    def _listen(self) -> None:
        """Open a listener (blocking: it starts the SDK's threads)."""
        if self.client is None:
            self.client = self.new_client()
        self.watch = self.client.collection(self.collection).on_snapshot(self._on_snapshot)
        self.listens += 1

    def _on_snapshot(self, docs: Any, changes: list[Any], read_time: Any) -> None:
        """On the SDK's thread: hand the records over, nothing else."""
        events = [e for c in changes if (e := event_of(c)) is not None]
        if events:
            self.inbox.put(events)

    async def open(self) -> None:
        await asyncio.to_thread(self._listen)

    async def poll(self) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        while True:
            try:
                out.extend(self.inbox.get_nowait())
            except queue.Empty:
                break
        self.usage.reads += len(out)  # a listener is billed a read per document it delivers
        if not self.closed and self.watch is not None and not self.watch.is_active:
            log.info("firestore listener on %s ended; listening again", self.collection)
            await asyncio.to_thread(self._listen)
        return out

    async def close(self) -> None:
        """Stop the listener and close its channel (idempotent: the consumer closes it, and
        the store's teardown again, after an error or Ctrl-C)."""
        if self.closed:
            return
        self.closed = True
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        if self.watch is not None:
            self.watch.unsubscribe()
            self.watch = None
        if self.client is not None:
            self.client._firestore_api._transport.close()
            self.client = None
