"""A consumer's view of the run table's DynamoDB stream, read as the Kinesis-style API asks:
DescribeTable for the stream's ARN, DescribeStream for its shards, GetShardIterator
(TRIM_HORIZON) per shard, then GetRecords on each shard's iterator, following
``NextShardIterator`` until a closed shard ends.

A child shard is read only once its parent is exhausted, so an item's records come in the
order the stream keeps them. When the table's stream changes (an in-memory emulator killed and
its table recreated), the consumer starts over on the new stream: what the old one held and it
had not read is lost, and the checker says so.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from ..._store import StreamEvent
from ._api import Api
from ._codec import KEY, decode

REFRESH_S = 1.0  # how often new shards (and a new stream) are looked for
MAX_RECORDS = 1000  # per GetRecords


def key_of(attr: dict[str, Any]) -> Any:
    """A workload key from the item's key attribute (stored as JSON text unless a string)."""
    text = attr.get("S", "")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def event_of(record: dict[str, Any]) -> StreamEvent | None:
    """The record of a write (INSERT or MODIFY); None for a REMOVE, which has no new image."""
    d = record.get("dynamodb", {})
    image = d.get("NewImage")
    if image is None or KEY not in image:
        return None
    return StreamEvent(key_of(image[KEY]), decode(image.get("v")), d.get("SequenceNumber"))


class DynamoStream:
    def __init__(self, admin: Api, streams: Api, table: str) -> None:
        self.admin = admin
        self.streams = streams
        self.table = table
        self.arn: str | None = None
        self.iterators: dict[str, str] = {}  # open shard -> its next iterator
        self.done: set[str] = set()  # shards read to their end
        self.refresh_at = 0.0

    async def poll(self) -> list[StreamEvent]:
        try:
            if time.monotonic() >= self.refresh_at:
                await self._refresh()
            out: list[StreamEvent] = []
            for shard in list(self.iterators):
                out.extend(await self._read(shard))
            return out
        except Exception:
            self.refresh_at = 0.0  # look again: the emulator may have lost the table
            raise

    async def _refresh(self) -> None:
        r = await self.admin.call("describe_table", idempotent=True, TableName=self.table)
        arn = r["Table"].get("LatestStreamArn")
        if arn != self.arn:  # a new stream (the table was recreated): start over
            self.arn, self.iterators, self.done = arn, {}, set()
        if arn is not None:
            await self._add_shards(arn)
        self.refresh_at = time.monotonic() + REFRESH_S

    async def _add_shards(self, arn: str) -> None:
        shards: list[dict[str, Any]] = []
        params: dict[str, Any] = {"StreamArn": arn}
        while True:
            r = await self.streams.call("describe_stream", idempotent=True, **params)
            desc = r["StreamDescription"]
            shards.extend(desc.get("Shards", []))
            last = desc.get("LastEvaluatedShardId")
            if not last:
                break
            params = {"StreamArn": arn, "ExclusiveStartShardId": last}
        known = {s["ShardId"] for s in shards}
        for s in shards:
            sid, parent = s["ShardId"], s.get("ParentShardId")
            waiting = parent in known and parent not in self.done
            if sid in self.iterators or sid in self.done or waiting:
                continue
            r = await self.streams.call("get_shard_iterator", idempotent=True, StreamArn=arn,
                                        ShardId=sid, ShardIteratorType="TRIM_HORIZON")
            self.iterators[sid] = r["ShardIterator"]

    async def _read(self, shard: str) -> list[StreamEvent]:
        r = await self.streams.call("get_records", idempotent=True,
                                    ShardIterator=self.iterators[shard], Limit=MAX_RECORDS)
        nxt = r.get("NextShardIterator")
        if nxt is None:  # a closed shard, read to its end: its children may start
            del self.iterators[shard]
            self.done.add(shard)
            self.refresh_at = 0.0
        else:
            self.iterators[shard] = nxt
        return [e for rec in r.get("Records", []) if (e := event_of(rec)) is not None]

    async def close(self) -> None:
        await self.streams.close()
