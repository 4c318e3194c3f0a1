"""Transactions for the embedded store, under a chosen isolation mode.

A transaction spans awaits: the client yields (``step``, a simulated round trip) between micro-ops,
so concurrent transactions really interleave and each mode shows exactly what it permits:

=====================  ===========================================================================
``serializable``       one global lock held for the whole transaction: a serial (and, since it is
                       held in real time, strict serializable) execution.
``snapshot-isolation`` reads from a snapshot taken at the start (the log head); writes are
                       buffered; at commit, first-committer-wins: if any written key has a
                       version newer than the snapshot, the transaction fails (``write-conflict``).
``read-committed``     each read sees the latest committed version (plus the transaction's own
                       buffered writes); a write or append takes the key's write lock until the
                       end (no-wait: a held lock fails the transaction with ``lock-conflict``),
                       so no dirty writes, but reads are neither repeatable nor from one snapshot.
``none``               every write and append is applied to the store immediately (other
                       transactions see it uncommitted); nothing is ever rolled back.
=====================  ===========================================================================

Ops served here (the op contract shared with other stores; see :mod:`isolde.workloads.bank` and
:mod:`isolde.workloads.list_append`):

- ``txn``: micro-ops ``["r", k, None]`` -> ``["r", k, [..]]`` (or a scalar), ``["w", k, v]``,
  ``["append", k, v]``; ``fail`` with ``write-conflict`` when snapshot isolation aborts.
- ``init`` ``{account: balance}``: write the initial balances in one transaction.
- ``read`` ``{account: None, ...}`` -> ``{account: balance}``: one transaction reading every named
  account (absent accounts are left out of the completion).
- ``transfer`` ``{"from", "to", "amount"}``; extra ``bank_mode`` ``txn`` (default: one
  transaction, ``fail`` with ``insufficient-funds`` rather than go negative) or ``rmw`` (the
  non-transactional control: read both balances in one step, then write both in another).
  With extra ``outbox`` ``txn`` (:mod:`isolde.workloads.outbox`), the same transaction also
  writes the transfer's outbox record, under a key of its own (``("outbox", n)``, n counting
  every record written, so a request applied twice leaves two records).
- ``read-outbox``: one transaction reading every outbox record.
- ``publish`` (the memory client's own request, never in a history: the outbox control's
  separate write) value a record: write it under a fresh record key.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from ..._errors import UsageError
from ...histories import Op
from ._outbox import OUTBOX, bad_outbox_transfer, outbox_record, wants_outbox
from ._replicated import ReplicatedLog

ISOLATION_MODES = ("serializable", "snapshot-isolation", "read-committed", "none")
BANK_MODES = ("txn", "rmw")

Step = Callable[[], Awaitable[None]]
_OPENED: ContextVar[list[_Txn]] = ContextVar("isolde_open_txns")


def handles(op: Op) -> bool:
    """True for the ops this module serves (a bank ``read`` has a dict value)."""
    return op.f in ("txn", "transfer", "init", "read-outbox", "publish") or (
        op.f == "read" and isinstance(op.value, dict))


class _Abort(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Txn:
    """One transaction's view of the store under ``mode``."""

    def __init__(self, data: ReplicatedLog, mode: str, now: Callable[[], int],
                 locks: dict[Any, _Txn]) -> None:
        self.data, self.mode, self.now, self.locks = data, mode, now, locks
        self.held: list[Any] = []
        self.snap = data.head()
        self.pinned = mode == "snapshot-isolation"  # its snapshot's versions stay until release
        if self.pinned:
            data.pin(self.snap)
        self.writes: dict[Any, Any] = {}  # key -> buffered value (w) ...
        self.appends: dict[Any, list[Any]] = {}  # ... or key -> buffered appended elements
        self.last_pos = -1

    def _committed(self, key: Any) -> Any:
        if self.mode == "snapshot-isolation":
            return self.data.value_at(key, self.snap)
        return self.data.latest(key)[1]

    def read(self, key: Any) -> Any:
        base = self.writes[key] if key in self.writes else self._committed(key)
        extra = self.appends.get(key)
        if extra:
            return (*(base or ()), *extra)
        return base

    def _lock(self, key: Any) -> None:
        if self.mode != "read-committed":
            return
        owner = self.locks.get(key)
        if owner is self:
            return
        if owner is not None:
            raise _Abort("lock-conflict")
        self.locks[key] = self
        self.held.append(key)

    def release(self) -> None:
        if self.pinned:
            self.data.unpin(self.snap)
            self.pinned = False
        for k in self.held:
            if self.locks.get(k) is self:
                del self.locks[k]
        self.held.clear()

    def write(self, key: Any, value: Any) -> None:
        self._lock(key)
        if self.mode == "none":
            self.last_pos = self.data.append(key, value, self.now())
            return
        self.appends.pop(key, None)
        self.writes[key] = value

    def append(self, key: Any, value: Any) -> None:
        self._lock(key)
        if self.mode == "none":
            cur = self.data.latest(key)[1]
            self.last_pos = self.data.append(key, (*(cur or ()), value), self.now())
            return
        self.appends.setdefault(key, []).append(value)

    def commit(self) -> None:
        """Apply the buffered writes atomically (no await), or raise _Abort."""
        if self.mode == "none":
            return
        keys = set(self.writes) | set(self.appends)
        if self.mode == "snapshot-isolation":
            for k in keys:
                if self.data.latest(k)[0] > self.snap:
                    raise _Abort("write-conflict")
        now = self.now()
        for k in keys:
            # A delta (append) lands on the latest version under RC; under SI the latest *is*
            # the snapshot's (no conflict), and under the serial lock nothing moved either.
            base = self.writes[k] if k in self.writes else self.data.latest(k)[1]
            extra = self.appends.get(k)
            value = (*(base or ()), *extra) if extra else base
            self.last_pos = self.data.append(k, value, now)


class TxnEngine:
    """Runs transactional ops for the memory store's clients under one isolation mode."""

    def __init__(self, data: ReplicatedLog, isolation: str, now: Callable[[], int],
                 sessions: dict[Any, int] | None = None) -> None:
        if isolation not in ISOLATION_MODES:
            raise UsageError(
                f"unknown --isolation {isolation!r} (known: {', '.join(ISOLATION_MODES)})"
            )
        self.data, self.isolation, self.now = data, isolation, now
        self.sessions = sessions if sessions is not None else {}
        self.lock = asyncio.Lock()
        self.key_locks: dict[Any, _Txn] = {}  # read-committed write locks
        self.records = itertools.count()  # outbox record keys

    async def invoke(self, op: Op, step: Step) -> Op:
        """Perform ``op`` with a round trip before and after; ``step`` between micro-ops."""
        await step()
        rmw = op.f == "transfer" and op.extra.get("bank_mode") == "rmw"
        if self.isolation == "serializable" and not rmw:  # the rmw control is never a txn
            async with self.lock:
                done = await self._dispatch(op, step)
        else:
            done = await self._dispatch(op, step)
        await step()
        return done

    def _begin(self) -> _Txn:
        txn = _Txn(self.data, self.isolation, self.now, self.key_locks)
        _OPENED.get().append(txn)
        return txn

    def _finish(self, op: Op, txn: _Txn) -> None:
        txn.commit()
        if txn.last_pos >= 0:
            self.sessions[op.process] = txn.last_pos

    async def _dispatch(self, op: Op, step: Step) -> Op:
        opened: list[_Txn] = []
        token = _OPENED.set(opened)  # per task: concurrent ops each see their own list
        try:
            return await self._dispatch_inner(op, step)
        finally:  # commit, abort or cancellation (timeout): locks go with the transaction
            for txn in opened:
                txn.release()
            _OPENED.reset(token)

    async def _dispatch_inner(self, op: Op, step: Step) -> Op:
        try:
            if op.f == "txn":
                return await self._txn(op, step)
            if op.f == "transfer":
                return await self._transfer(op, step)
            if op.f == "init":
                return await self._init(op)
            if op.f == "read-outbox":
                return await self._read_outbox(op)
            if op.f == "publish":
                return await self._publish(op)
            return await self._read_accounts(op, step)
        except _Abort as e:
            return op.complete("fail", op.value, error=e.error)

    async def _txn(self, op: Op, step: Step) -> Op:
        if not isinstance(op.value, (list, tuple)):
            return op.complete("fail", op.value, error="bad-value")
        txn = self._begin()
        out: list[Any] = []
        for i, mop in enumerate(op.value):
            if i:
                await step()
            if not (isinstance(mop, (list, tuple)) and len(mop) == 3):
                return op.complete("fail", op.value, error=f"bad micro-op {mop!r}")
            kind, k, arg = mop
            if kind == "r":
                val = txn.read(k)
                out.append(["r", k, list(val) if isinstance(val, tuple) else val])
            elif kind == "w":
                txn.write(k, arg)
                out.append(list(mop))
            elif kind == "append":
                txn.append(k, arg)
                out.append(list(mop))
            else:
                return op.complete("fail", op.value, error=f"unknown micro-op {kind!r}")
        self._finish(op, txn)
        return op.complete("ok", out)

    async def _init(self, op: Op) -> Op:
        if not isinstance(op.value, dict):
            return op.complete("fail", op.value, error="bad-value")
        txn = self._begin()
        for acct, balance in op.value.items():
            txn.write(acct, balance)
        self._finish(op, txn)
        return op.complete("ok", op.value)

    async def _read_accounts(self, op: Op, step: Step) -> Op:
        txn = self._begin()
        out: dict[Any, Any] = {}
        for i, acct in enumerate(op.value):
            if i:
                await step()
            bal = txn.read(acct)
            if bal is not None:
                out[acct] = bal
        self._finish(op, txn)
        return op.complete("ok", out)

    async def _transfer(self, op: Op, step: Step) -> Op:
        v = op.value
        if not (isinstance(v, dict) and {"from", "to", "amount"} <= set(v)):
            return op.complete("fail", v, error="bad-value")
        src, dst, amount = v["from"], v["to"], v["amount"]
        error = bad_outbox_transfer(op) if wants_outbox(op) else None
        if error is not None:
            return op.complete("fail", v, error=error)
        mode = op.extra.get("bank_mode", "txn")
        if mode not in BANK_MODES:
            return op.complete("fail", v, error=f"unknown bank_mode {mode!r}")
        if mode == "rmw":
            # The control: two separately atomic steps with a round trip between them, so a
            # concurrent transfer's write in between is overwritten (money appears or vanishes).
            a, b = self.data.latest(src)[1], self.data.latest(dst)[1]
            if a is None or b is None:
                return op.complete("fail", v, error="missing-account")
            if a < amount:
                return op.complete("fail", v, error="insufficient-funds")
            await step()
            now = self.now()
            self.data.append(src, a - amount, now)
            self.sessions[op.process] = self.data.append(dst, b + amount, now)
            return op.complete("ok", v)
        txn = self._begin()
        a = txn.read(src)
        await step()
        b = txn.read(dst)
        if a is None or b is None:
            return op.complete("fail", v, error="missing-account")
        if a < amount:
            return op.complete("fail", v, error="insufficient-funds")
        await step()
        txn.write(src, a - amount)
        txn.write(dst, b + amount)
        if op.extra.get("outbox") == "txn":
            txn.write(self.record_key(), outbox_record(v))
        self._finish(op, txn)
        return op.complete("ok", v)

    def record_key(self) -> tuple[str, int]:
        """A fresh outbox record key."""
        return (OUTBOX, next(self.records))

    async def _publish(self, op: Op) -> Op:
        txn = self._begin()
        txn.write(self.record_key(), op.value)
        self._finish(op, txn)
        return op.complete("ok", op.value)

    async def _read_outbox(self, op: Op) -> Op:
        txn = self._begin()
        keys = sorted(k for k in self.data.written_keys()
                      if isinstance(k, tuple) and len(k) == 2 and k[0] == OUTBOX)
        records = [r for r in map(txn.read, keys) if r is not None]
        self._finish(op, txn)
        return op.complete("ok", records)
