"""The Firestore client: one op in, its completion out, every error classified (see _errors)."""

from __future__ import annotations

import logging

from ....histories import Op
from .._outbox import outbox_transfer, wants_outbox
from .._sdk import Partial, read_only, transfer_rmw
from ._errors import classify
from ._ops import Ops, Refused

log = logging.getLogger("isolde.firestore")
MICRO_OPS = ("r", "w", "append")


class FirestoreClient:
    """Serves register (``read``/``write``/``cas`` on ``[k, v]``), list-append and rw-register
    (``txn``), and bank (``init``, ``read`` of a dict, ``transfer``) ops."""

    def __init__(self, ops: Ops, default_read: str, bank_mode: str) -> None:
        self.ops = ops
        self.default_read = default_read
        self.bank_mode = bank_mode

    async def close(self) -> None:
        return None  # the AsyncClient is the store's, shared by all workers

    async def invoke(self, op: Op) -> Op:
        self.ops.runs = 0
        done = await self._invoke(op)
        # A transaction function the SDK ran again after an ABORTED commit: the completion is
        # the last run's; how many runs it took is recorded.
        runs = self.ops.runs
        return done.with_(extra={**done.extra, "attempts": runs}) if runs > 1 else done

    async def _invoke(self, op: Op) -> Op:
        try:
            return await self._dispatch(op)
        except Refused as e:
            return op.complete("fail", op.value, error=e.kind)
        except Partial as e:
            return op.complete("info", op.value, error=f"partial:{classify(e.cause).kind}")
        except Exception as e:
            v = classify(e)
            if v.kind.startswith("unexpected"):
                log.warning("%s: %r", op.f, e)
            # A read changes nothing: whatever happened to it, it certainly had no effect.
            return op.complete("fail" if read_only(op) else v.type, op.value, error=v.kind)

    async def _dispatch(self, op: Op) -> Op:
        f, v = op.f, op.value
        if f == "txn":
            if not (isinstance(v, list) and v and all(
                    isinstance(m, (list, tuple)) and len(m) == 3 and m[0] in MICRO_OPS
                    for m in v)):
                return op.complete("fail", v, error="bad-value")
            return op.complete("ok", await self.ops.txn(v))
        if f == "read" and isinstance(v, dict):
            return op.complete("ok", await self.ops.read_accounts(list(v)))
        if f == "init" and isinstance(v, dict):
            await self.ops.init_accounts(v)
            return op.complete("ok", v)
        if f == "transfer":
            return await self._transfer(op)
        if f == "read-outbox":
            return op.complete("ok", await self.ops.read_outbox())
        if not (isinstance(v, (list, tuple)) and len(v) == 2):
            return op.complete("fail", v, error="bad-value")
        k, arg = v
        if f == "read":
            mode = op.extra.get("consistency", self.default_read)
            return op.complete("ok", [k, await self.ops.get(k, mode)])
        if f == "write":
            await self.ops.put(k, arg)
            return op.complete("ok", v)
        if f == "cas":
            if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
                return op.complete("fail", v, error="bad-value")
            if not await self.ops.cas(k, arg[0], arg[1]):
                return op.complete("fail", v, error="precondition-failed")
            return op.complete("ok", v)
        return op.complete("fail", v, error=f"unsupported f {f!r}")

    async def _transfer(self, op: Op) -> Op:
        v = op.value
        if not (isinstance(v, dict) and {"from", "to", "amount"} <= set(v)):
            return op.complete("fail", v, error="bad-value")
        if wants_outbox(op):
            return await outbox_transfer(
                op, lambda rec: self.ops.transfer(v["from"], v["to"], v["amount"], rec),
                self.ops.put_record, lambda e: classify(e).kind)
        mode = op.extra.get("bank_mode", self.bank_mode)
        if mode == "txn":
            await self.ops.transfer(v["from"], v["to"], v["amount"])
            return op.complete("ok", v)
        if mode != "rmw":
            return op.complete("fail", v, error=f"unknown bank_mode {mode!r}")
        return await transfer_rmw(op, self.ops.get, self.ops.put, lambda e: classify(e).kind)
