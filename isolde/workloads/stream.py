"""The stream workload: single-key list appends while a consumer reads the store's change
stream (see :mod:`isolde.harness._stream` and docs/change-streams.md).

Writes are one-micro-op transactions ``[["append", k, v]]`` (values 1, 2, 3... unique per key;
keys skewed and retired as in list-append), so each record's new image -- the key's whole list
-- names the write that made it (its last element) and its place in the key's version order
(its length). The store's stream is read by the consumer as process ``stream``, one ``event``
op per record. After the load, final reads read every key written (the audit compares them
with the replayed stream). Judged by the ``change-stream`` checker.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..harness._generators import Context, OpSpec
from ..harness._options import option, positive_float, positive_int
from ._base import WorkloadOptions, WorkloadSpec
from .list_append import ListAppendWorkload


@dataclass(frozen=True)
class StreamOptions:
    max_writes_per_key: int = option(32, "appends to a key before it retires", parse=positive_int)
    settle: float = option(2.0, "seconds of quiet on the stream, after the load, before a "
                           "missing record counts as lost", parse=positive_float)


class StreamWorkload(ListAppendWorkload):
    name = "stream"
    op_kind = "stream"
    needs = frozenset({"txn", "change-stream"})
    checkers: tuple[str, ...] = ("change-stream", "stats")

    def __init__(self, options: WorkloadOptions) -> None:
        super().__init__(options)
        self.settle = float(options.options.get("settle", 2.0))

    def txn(self, ctx: Context) -> OpSpec:
        k = self._key(ctx)
        self.touched.add(k)
        return OpSpec("txn", [["append", k, self._append(k)]])


SPEC = WorkloadSpec("stream", "appends while a consumer reads the store's change stream "
                    "(needs change-stream)", StreamWorkload, StreamOptions,
                    reads=frozenset({"keys"}), needs=StreamWorkload.needs)
