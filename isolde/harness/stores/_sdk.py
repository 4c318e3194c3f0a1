"""What the SDK-backed stores' clients share: which ops change nothing, and the bank's
non-transactional read-modify-write control, written once over a store's own get and put."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...histories import Op


class Partial(Exception):
    """A multi-request op failed after an earlier request of it had applied."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def read_only(op: Op) -> bool:
    """A read, or a txn of reads only: whatever error it ended in, it changed nothing."""
    if op.f in ("read", "read-outbox"):
        return True
    return op.f == "txn" and isinstance(op.value, list) and all(
        isinstance(m, (list, tuple)) and m and m[0] == "r" for m in op.value
    )


async def transfer_rmw(op: Op, get: Callable[[Any], Awaitable[Any]],
                       put: Callable[[Any, Any], Awaitable[None]],
                       kind: Callable[[Exception], str]) -> Op:
    """The bank's control transfer: reads first (an error there leaves nothing applied:
    ``fail`` with ``kind(error)``), then two writes; an error on the second write comes after
    the first applied (raises :class:`Partial`)."""
    v = op.value
    try:
        a = await get(v["from"])
        b = await get(v["to"])
    except Exception as e:
        return op.complete("fail", v, error=kind(e))
    if a is None or b is None:
        return op.complete("fail", v, error="missing-account")
    if a < v["amount"]:
        return op.complete("fail", v, error="insufficient-funds")
    await put(v["from"], a - v["amount"])
    try:
        await put(v["to"], b + v["amount"])
    except Exception as e:
        raise Partial(e) from e
    return op.complete("ok", v)
