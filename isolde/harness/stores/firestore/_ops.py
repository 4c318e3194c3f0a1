"""Ops on Firestore documents, with google-cloud-firestore's AsyncClient.

Every key is one document ``<root>/<key>`` holding its value in field ``v``. Ops and requests:

- ``read [k, None]``: a document get -> ``[k, v]`` (None when absent). ``strong`` reads the
  latest; ``bounded`` reads at ``read_time`` = now - ``stale_ms`` (Firestore serves reads in the
  past; the emulator keeps versions for it too), so it may miss the writes of that window.
- ``write [k, v]``: set (no precondition).
- ``cas [k, [old, new]]``: a get, then an update with the precondition ``last_update_time`` = the
  update time of the version that held ``old`` (``exists=False`` for ``old = None``, a create).
  FAILED_PRECONDITION / ALREADY_EXISTS mean another write came between: ``fail``. Not a
  transaction: on the emulator a transaction takes pessimistic locks (a contender waits ~2 s then
  aborts), while a precondition is checked at commit without holding anything.
- ``txn``: one Firestore transaction, reads first (Firestore requires it): every key the txn
  touches is read, the micro-ops are applied to that snapshot in order (a read sees the txn's own
  earlier appends), then the changed documents are written. Appends rewrite the whole list:
  ``ArrayUnion`` de-duplicates, which an append must not.
- bank ``init``: one batched write; ``read``: a read-only transaction over every account;
  ``transfer`` (``txn``): a transaction that refuses an overdraft or a missing account (``rmw``:
  the non-transactional control, two gets then two sets).
- the outbox workload's ``transfer`` with extra ``outbox`` ``txn``: the same transaction also
  sets the outbox record's document (key ``outbox:`` and a nonce); ``separate`` (the control):
  the transaction, then a set of the record. ``read-outbox``: a query of the whole collection
  (Firestore's queries are strongly consistent), keeping the outbox documents.

A transaction that ends ABORTED (at commit, or a read that waited too long for a lock) is tried
again, up to ``--txn-attempts`` times: its function runs again, ``attempts`` on the op counts
the runs, and the result is the last run's (the one that committed).
"""

from __future__ import annotations

import asyncio
import datetime
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import orjson

from .._outbox import RECORD_PREFIX, new_record_key
from ._cost import Usage
from ._errors import classify
from ._options import FirestoreOptions

T = TypeVar("T")


class Refused(Exception):
    """A transaction function's own decision not to commit (overdraft, missing account)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class Conn:
    """The store's AsyncClient (replaced when the emulator is restarted: a gRPC channel to a
    killed server backs off for many seconds before it tries again) and the run's root
    collection."""

    client: Any
    collection: str


def _unwrap(e: Exception) -> BaseException:
    """The error that ended a transaction, under the SDK's ValueErrors: it wraps a commit's
    ABORTED in one ("Failed to commit transaction in 1 attempts.", the Aborted its cause), and
    when BeginTransaction itself failed, its rollback raises one ("The transaction has no
    transaction ID, so it cannot be rolled back.") while handling that first error -- which may
    be a cancellation, to be raised again as such."""
    if isinstance(e, ValueError):
        first = e.__cause__ or e.__context__
        if first is not None:
            return first
    return e


_QUOTE = "%22"  # a JSON string's closing quote, in a document id


def doc_id(k: Any) -> str:
    """A document id for key ``k`` (ids may not contain ``/`` or be ``.``/``..``)."""
    return quote(orjson.dumps(k).decode(), safe="")


class Ops:
    """The requests of every op, on the documents under ``root``
    (:class:`isolde.harness.stores._sdk.Requests`)."""

    transactions = True

    def __init__(self, conn: Conn, options: FirestoreOptions, written: set[str],
                 rng: random.Random, usage: Usage) -> None:
        self.conn = conn
        self.timeout = options.timeout
        self.attempts = options.txn_attempts
        self.stale = datetime.timedelta(milliseconds=options.stale_ms)
        self.rng = rng  # the pause between a transaction's attempts
        self.usage = usage  # documents read and written (the cloud audit's report)
        self.runs = 0  # transaction function runs of the op in progress (see ``transact``)
        self.written = written  # ids of the documents written (teardown deletes those)

    @property
    def client(self) -> Any:
        return self.conn.client

    @property
    def root(self) -> Any:
        return self.conn.client.collection(self.conn.collection)

    def ref(self, k: Any) -> Any:
        return self.root.document(doc_id(k))

    def wref(self, k: Any) -> Any:
        """The document of ``k``, about to be written: recorded before the request is sent."""
        d = doc_id(k)
        self.written.add(d)
        self.usage.writes += 1
        return self.root.document(d)

    async def get(self, k: Any, mode: str = "strong") -> Any:
        kw: dict[str, Any] = {}
        if mode != "strong":
            kw["read_time"] = datetime.datetime.now(datetime.UTC) - self.stale
        self.usage.reads += 1
        snap = await self.ref(k).get(retry=None, timeout=self.timeout, **kw)
        return snap.get("v") if snap.exists else None

    async def put(self, k: Any, v: Any) -> None:
        await self.wref(k).set({"v": v}, retry=None, timeout=self.timeout)

    async def cas(self, k: Any, old: Any, new: Any) -> bool:
        """False when the current value is not ``old`` (nothing written)."""
        ref = self.wref(k)
        if old is None:
            await ref.create({"v": new}, retry=None, timeout=self.timeout)
            return True
        self.usage.reads += 1
        snap = await ref.get(retry=None, timeout=self.timeout)
        if not snap.exists or snap.get("v") != old:
            return False
        option = self.client.write_option(last_update_time=snap.update_time)
        await ref.update({"v": new}, option=option, retry=None, timeout=self.timeout)
        return True

    async def transact(self, fn: Callable[[Any], Awaitable[T]], read_only: bool = False) -> T:
        """Run ``fn(transaction)`` in a transaction, tried up to ``attempts`` times while it
        ends ABORTED; counts the runs in ``self.runs``.

        The attempts are ours, not the SDK's: the SDK retries at once, and on the emulator two
        transactions that read a document and then both write it hold each other's locks until
        both abort (~2 s), then meet again on the retry. A random pause between attempts lets
        one of them go first."""
        from google.cloud.firestore import async_transactional

        async def body(transaction: Any) -> T:
            self.runs += 1
            return await fn(transaction)

        for attempt in range(1, self.attempts + 1):
            transaction = self.client.transaction(max_attempts=1, read_only=read_only)
            try:
                return await async_transactional(body)(transaction)
            except Exception as e:
                cause = _unwrap(e)
                if (not isinstance(cause, Exception) or classify(cause).kind != "aborted"
                        or attempt == self.attempts):
                    raise cause from None
            await asyncio.sleep(self.rng.uniform(0, min(1.0, 0.05 * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    async def read_in(self, transaction: Any, keys: list[Any]) -> dict[Any, Any]:
        """The values of ``keys`` read in ``transaction`` (absent keys left out)."""
        refs = {self.ref(k).path: k for k in keys}
        self.usage.reads += len(keys)
        out: dict[Any, Any] = {}
        # The client's get_all (an async generator), not the transaction's: in 2.34.1
        # AsyncTransaction.get_all awaits that generator and raises TypeError.
        async for snap in self.client.get_all([self.ref(k) for k in keys],
                                              transaction=transaction, retry=None,
                                              timeout=self.timeout):
            if snap.exists:
                out[refs[snap.reference.path]] = snap.get("v")
        return out

    async def txn(self, mops: list[Any]) -> list[Any]:
        keys = list(dict.fromkeys(m[1] for m in mops))

        async def body(transaction: Any) -> list[Any]:
            state = await self.read_in(transaction, keys)
            changed: set[Any] = set()
            out = []
            for f, k, v in mops:
                if f == "r":
                    cur = state.get(k)
                    out.append([f, k, list(cur) if isinstance(cur, list) else cur])
                    continue
                state[k] = [*(state.get(k) or []), v] if f == "append" else v
                changed.add(k)
                out.append([f, k, v])
            for k in changed:
                transaction.set(self.wref(k), {"v": state[k]})
            return out

        return await self.transact(body, read_only=all(m[0] == "r" for m in mops))

    async def init_accounts(self, balances: dict[Any, Any]) -> None:
        batch = self.client.batch()
        for a, b in balances.items():
            batch.set(self.wref(a), {"v": b})
        await batch.commit(retry=None, timeout=self.timeout)

    async def read_accounts(self, accounts: list[Any]) -> dict[Any, Any]:
        async def body(transaction: Any) -> dict[Any, Any]:
            return await self.read_in(transaction, accounts)

        return await self.transact(body, read_only=True)

    async def transfer(self, src: Any, dst: Any, amount: Any,
                       record: dict[str, Any] | None = None) -> None:
        """With a ``record``, the outbox record is set by the same transaction."""
        record_key = new_record_key()

        async def body(transaction: Any) -> None:
            bal = await self.read_in(transaction, [src, dst])
            if src not in bal or dst not in bal:
                raise Refused("missing-account")
            if bal[src] < amount:
                raise Refused("insufficient-funds")
            transaction.set(self.wref(src), {"v": bal[src] - amount})
            transaction.set(self.wref(dst), {"v": bal[dst] + amount})
            if record is not None:
                transaction.set(self.wref(record_key), {"v": record})

        await self.transact(body)

    async def put_record(self, record: dict[str, Any]) -> None:
        """The outbox control's separate write of the record."""
        await self.put(new_record_key(), record)

    async def read_outbox(self) -> list[Any]:
        """Every outbox record: the documents of the collection whose key has the prefix."""
        prefix = doc_id(RECORD_PREFIX).removesuffix(_QUOTE)  # ids are quoted JSON strings
        records: list[Any] = []
        async for snap in self.root.stream(retry=None, timeout=self.timeout):
            self.usage.reads += 1
            if snap.id.startswith(prefix):
                records.append(snap.get("v"))
        return records
