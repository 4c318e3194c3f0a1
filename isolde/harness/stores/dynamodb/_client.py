"""The DynamoDB client: one op in, its completion out, every error classified (see _errors)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ....histories import Op
from .._outbox import outbox_transfer, wants_outbox
from .._sdk import Partial, read_only, transfer_rmw
from ._api import RETRIES
from ._errors import classify
from ._ops import Ops, bank_error
from ._txn import TxnAborted, Txns

if TYPE_CHECKING:
    from ._store import DynamoStoreBase

log = logging.getLogger("isolde.dynamodb")


class DynamoClient:
    """Serves register (``read``/``write``/``cas`` on ``[k, v]``), list-append and rw-register
    (``txn``), and bank (``init``, ``read`` of a dict, ``transfer``) ops."""

    def __init__(self, store: DynamoStoreBase) -> None:
        self.store = store
        api = store.data_api
        assert api is not None
        self.ops = Ops(api, store.table)
        self.txns = Txns(api, store.table, store.options.occ_attempts)
        self.transactions = "txn" in store.capabilities

    async def close(self) -> None:
        return None  # the HTTP client is the store's, shared by all workers

    async def invoke(self, op: Op) -> Op:
        token = RETRIES.set(0)
        try:
            done = await self._invoke(op)
            retries = RETRIES.get()
        finally:
            RETRIES.reset(token)
        # Retries (after throttling, or of idempotent requests) are recorded in the op.
        return done.with_(extra={**done.extra, "retries": retries}) if retries else done

    async def _invoke(self, op: Op) -> Op:
        try:
            return await self._dispatch(op)
        except TxnAborted as e:
            return op.complete("fail", op.value, error=e.error)
        except Partial as e:
            return op.complete("info", op.value, error=f"partial:{classify(e.cause).kind}")
        except Exception as e:
            v = classify(e)
            if v.type == "info" and v.kind.startswith("unexpected"):
                log.warning("%s: %s", op.f, self.store.secrets.redact(repr(e)))
            kind = bank_error(e) if op.f == "transfer" else None
            attempts = getattr(e, "attempts", 1)
            extra = {"attempts": attempts} if attempts > 1 else {}
            # A read changes nothing, so a read that may have been served is still certainly
            # without effect: fail, and the worker keeps its process.
            typ = "fail" if read_only(op) else v.type
            return op.complete(typ, op.value, error=kind or v.kind, **extra)

    async def _dispatch(self, op: Op) -> Op:
        f, v = op.f, op.value
        if f == "txn":
            if not self.transactions:
                return op.complete("fail", v, error="unsupported-operation")
            if not isinstance(v, list) or not all(
                isinstance(m, (list, tuple)) and len(m) == 3 and m[0] in ("r", "w", "append")
                for m in v
            ):
                return op.complete("fail", v, error="bad-value")
            return op.complete("ok", await self.txns.run(v))
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
            mode = op.extra.get("consistency", self.store.options.default_read)
            return op.complete("ok", [k, await self.ops.get(k, mode == "strong")])
        if f == "write":
            await self.ops.put(k, arg)
            return op.complete("ok", v)
        if f == "cas":
            if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
                return op.complete("fail", v, error="bad-value")
            await self.ops.cas(k, arg[0], arg[1])
            return op.complete("ok", v)
        return op.complete("fail", v, error=f"unsupported f {f!r}")

    async def _transfer(self, op: Op) -> Op:
        v = op.value
        if not (isinstance(v, dict) and {"from", "to", "amount"} <= set(v)):
            return op.complete("fail", v, error="bad-value")
        if wants_outbox(op):
            if not self.transactions:
                return op.complete("fail", v, error="unsupported-operation")
            return await outbox_transfer(
                op, lambda rec: self.ops.transfer(v["from"], v["to"], v["amount"], rec),
                self.ops.put_record, lambda e: classify(e).kind)
        mode = op.extra.get("bank_mode", self.store.options.bank_mode)
        if mode == "txn":
            if not self.transactions:
                return op.complete("fail", v, error="unsupported-operation")
            await self.ops.transfer(v["from"], v["to"], v["amount"])
            return op.complete("ok", v)
        if mode != "rmw":
            return op.complete("fail", v, error=f"unknown bank_mode {mode!r}")
        return await transfer_rmw(op, lambda k: self.ops.get(k, True), self.ops.put,
                                  lambda e: classify(e).kind)
