"""What the SDK-backed stores share: the build of their specs, the op dispatch (each op's value
checked, then served by the store's own requests, :class:`Requests`), which ops change nothing,
and the bank's non-transactional read-modify-write control, written once over a store's own get
and put."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ...histories import Op
from .._plugin import StoreContext
from .._store import MIXED
from ._outbox import outbox_transfer, wants_outbox

MICRO_OPS = ("r", "w", "append")


def builder(cls: Callable[..., Any]) -> Callable[[Any, StoreContext], Any]:
    """A :class:`isolde.harness.StoreSpec`'s ``build`` for a store class taking its options
    dataclass and ``seed=``: the run's ``--read-consistency`` (unless mixed) becomes the options'
    ``default_read``, the read mode of an op that names none."""

    def build(options: Any, context: StoreContext) -> Any:
        rc = context.read_consistency
        if rc != MIXED:
            options = dataclasses.replace(options, default_read=rc)
        return cls(options, seed=context.seed)

    return build


class Requests(Protocol):
    """A store's requests for each op; errors propagate (the client classifies them)."""

    @property
    def transactions(self) -> bool:
        """Whether the store serves ``txn`` ops and transactional transfers."""
        ...

    async def txn(self, mops: list[Any]) -> list[Any]:
        """The micro-ops applied atomically; their completed values."""
        ...

    async def get(self, k: Any, mode: str) -> Any: ...

    async def put(self, k: Any, v: Any) -> None: ...

    async def cas(self, k: Any, old: Any, new: Any) -> bool:
        """False (or a raised precondition error) when the value was not ``old``."""
        ...

    async def init_accounts(self, balances: dict[Any, Any]) -> None: ...

    async def read_accounts(self, accounts: list[Any]) -> dict[Any, Any]: ...

    async def transfer(self, src: Any, dst: Any, amount: Any,
                       record: dict[str, Any] | None = None) -> None:
        """One transaction moving ``amount``; with ``record``, the outbox record in it too."""
        ...

    async def put_record(self, record: dict[str, Any]) -> object:
        """An outbox record written on its own (the outbox workload's dual-write control)."""
        ...

    async def read_outbox(self) -> list[Any]:
        """Every outbox record, read consistently."""
        ...


async def dispatch(op: Op, requests: Requests, default_read: str, bank_mode: str,
                   kind: Callable[[Exception], str]) -> Op:
    """Serve register (``read``/``write``/``cas`` on ``[k, v]``), list-append and rw-register
    (``txn``), and bank (``init``, ``read`` of a dict, ``transfer``) ops; a malformed value is
    ``fail bad-value``, never sent. ``kind`` names an error (the rmw transfer records it)."""
    f, v = op.f, op.value
    if f == "txn":
        if not requests.transactions:
            return op.complete("fail", v, error="unsupported-operation")
        if not (isinstance(v, list) and v and all(
                isinstance(m, (list, tuple)) and len(m) == 3 and m[0] in MICRO_OPS for m in v)):
            return op.complete("fail", v, error="bad-value")
        return op.complete("ok", await requests.txn(v))
    if f == "read" and isinstance(v, dict):
        return op.complete("ok", await requests.read_accounts(list(v)))
    if f == "init" and isinstance(v, dict):
        await requests.init_accounts(v)
        return op.complete("ok", v)
    if f == "transfer":
        return await _transfer(op, requests, bank_mode, kind)
    if f == "read-outbox":
        return op.complete("ok", await requests.read_outbox())
    if not (isinstance(v, (list, tuple)) and len(v) == 2):
        return op.complete("fail", v, error="bad-value")
    k, arg = v
    if f == "read":
        return op.complete("ok", [k, await requests.get(k, op.extra.get("consistency",
                                                                         default_read))])
    if f == "write":
        await requests.put(k, arg)
        return op.complete("ok", v)
    if f == "cas":
        if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
            return op.complete("fail", v, error="bad-value")
        if not await requests.cas(k, arg[0], arg[1]):
            return op.complete("fail", v, error="precondition-failed")
        return op.complete("ok", v)
    return op.complete("fail", v, error=f"unsupported f {f!r}")


async def _transfer(op: Op, requests: Requests, bank_mode: str,
                    kind: Callable[[Exception], str]) -> Op:
    v = op.value
    if not (isinstance(v, dict) and {"from", "to", "amount"} <= set(v)):
        return op.complete("fail", v, error="bad-value")
    if wants_outbox(op):
        if not requests.transactions:
            return op.complete("fail", v, error="unsupported-operation")
        return await outbox_transfer(
            op, lambda rec: requests.transfer(v["from"], v["to"], v["amount"], rec),
            requests.put_record, kind)
    mode = op.extra.get("bank_mode", bank_mode)
    if mode == "txn":
        if not requests.transactions:
            return op.complete("fail", v, error="unsupported-operation")
        await requests.transfer(v["from"], v["to"], v["amount"])
        return op.complete("ok", v)
    if mode != "rmw":
        return op.complete("fail", v, error=f"unknown bank_mode {mode!r}")
    return await transfer_rmw(op, lambda k: requests.get(k, "strong"), requests.put, kind)


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
