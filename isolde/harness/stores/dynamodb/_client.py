"""The DynamoDB client: one op in, its completion out, every error classified (see _errors)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ....histories import Op
from .._sdk import Partial, dispatch, read_only
from ._api import RETRIES
from ._errors import classify
from ._ops import Ops, bank_error
from ._txn import TxnAborted, Txns

if TYPE_CHECKING:
    from ._store import DynamoStoreBase

log = logging.getLogger("isolde.dynamodb")


class _Requests:
    """DynamoDB's requests for each op (:class:`isolde.harness.stores._sdk.Requests`)."""

    def __init__(self, ops: Ops, txns: Txns, transactions: bool) -> None:
        self.ops = ops
        self.txns = txns
        self.transactions = transactions
        self.put = ops.put
        self.init_accounts = ops.init_accounts
        self.read_accounts = ops.read_accounts
        self.transfer = ops.transfer
        self.put_record = ops.put_record
        self.read_outbox = ops.read_outbox

    async def txn(self, mops: list[Any]) -> list[Any]:
        return await self.txns.run(mops)

    async def get(self, k: Any, mode: str) -> Any:
        return await self.ops.get(k, mode == "strong")  # ConsistentRead for strong reads only

    async def cas(self, k: Any, old: Any, new: Any) -> bool:
        await self.ops.cas(k, old, new)  # raises ConditionalCheckFailed when it is not old
        return True


class DynamoClient:
    """Serves register (``read``/``write``/``cas`` on ``[k, v]``), list-append and rw-register
    (``txn``), and bank (``init``, ``read`` of a dict, ``transfer``) ops."""

    def __init__(self, store: DynamoStoreBase) -> None:
        self.store = store
        api = store.data_api
        assert api is not None
        self.requests = _Requests(Ops(api, store.table),
                                  Txns(api, store.table, store.options.occ_attempts),
                                  "txn" in store.capabilities)

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
            o = self.store.options
            return await dispatch(op, self.requests, o.default_read, o.bank_mode,
                                  lambda e: classify(e).kind)
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
