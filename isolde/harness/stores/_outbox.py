"""The outbox workload's ops (:mod:`isolde.workloads.outbox`), as every store serves them: the
record a transfer publishes, and the dual-write control, written once over a store's own
transfer and publish requests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ...histories import Op

OUTBOX = "outbox"  # the prefix of the outbox records' keys, in every store
RECORD_PREFIX = OUTBOX + ":"
# The control publishes with a deadline of its own, well inside the runner's op timeout (5 s by
# default), as a service gives a best-effort side call a budget rather than fail the request.
PUBLISH_TIMEOUT_S = 1.0


class PublishFailed(Exception):
    """The control's outbox write completed, but not ok (the message is its error)."""


def wants_outbox(op: Op) -> bool:
    """A transfer of the outbox workload (extra ``outbox``: ``txn`` or ``separate``)."""
    return op.f == "transfer" and op.extra.get("outbox") is not None


def new_record_key() -> str:
    """A record's key on an SDK store: drawn when the request is built, so the SDK's retries
    of one request write one record, and two requests two."""
    return RECORD_PREFIX + uuid.uuid4().hex


def outbox_record(v: dict[str, Any]) -> dict[str, Any]:
    """The record a transfer ``{"from", "to", "amount", "id"}`` publishes."""
    return {"id": v["id"], "from": v["from"], "to": v["to"], "amount": v["amount"]}


def bad_outbox_transfer(op: Op) -> str | None:
    """Why an outbox transfer cannot be served (``fail`` with this error), or None."""
    mode = op.extra.get("outbox")
    if mode not in ("txn", "separate"):
        return f"unknown outbox mode {mode!r}"
    if not isinstance(op.value, dict) or "id" not in op.value:
        return "bad-value"
    return None


async def dual_write(op: Op, transfer: Callable[[], Awaitable[Op]],
                     publish: Callable[[dict[str, Any]], Awaitable[object]],
                     kind: Callable[[Exception], str]) -> Op:
    """The control (extra ``outbox`` ``separate``): the transfer, then, if it committed, its
    record in a separate request. The transfer's outcome is the op's: a publish that failed or
    timed out is noted as ``outbox_error`` (``kind(error)``, ``timeout`` past the deadline) on
    an ok completion -- the money moved, and the message may never go out."""
    done = await transfer()
    if done.type != "ok":
        return done
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT_S):
            await publish(outbox_record(op.value))
    except TimeoutError:
        return done.with_(extra={**done.extra, "outbox_error": "timeout"})
    except Exception as e:
        return done.with_(extra={**done.extra, "outbox_error": kind(e)})
    return done


async def outbox_transfer(op: Op, move: Callable[[dict[str, Any] | None], Awaitable[None]],
                          publish: Callable[[dict[str, Any]], Awaitable[object]],
                          kind: Callable[[Exception], str]) -> Op:
    """An outbox transfer on an SDK store: ``move(record)`` runs the transfer's transaction,
    writing ``record`` in it when given; ``publish(record)`` writes a record on its own (the
    control's separate request). Errors of the transaction propagate, for the store's client
    to classify."""
    error = bad_outbox_transfer(op)
    if error is not None:
        return op.complete("fail", op.value, error=error)
    v = op.value
    if op.extra["outbox"] == "txn":
        await move(outbox_record(v))
        return op.complete("ok", v)

    async def transfer() -> Op:
        await move(None)
        return op.complete("ok", v)

    return await dual_write(op, transfer, publish, kind)
