"""The Firestore client: one op in, its completion out, every error classified (see _errors)."""

from __future__ import annotations

import logging

from ....histories import Op
from .._sdk import Partial, dispatch, read_only
from ._errors import classify
from ._ops import Ops, Refused

log = logging.getLogger("isolde.firestore")


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
            return await dispatch(op, self.ops, self.default_read, self.bank_mode,
                                  lambda e: classify(e).kind)
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
