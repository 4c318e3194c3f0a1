"""Single-item and bank operations on the table (register, causal, bank).

Every item holds its value in attribute ``v``; list-append items also carry a version ``n``
(see :mod:`._txn`). Ops and their requests:

- ``read [k, None]``: GetItem, ``ConsistentRead`` true for the ``strong`` read mode, else false
  (DynamoDB offers no other mode) -> ``[k, v]`` (``None`` when absent).
- ``write [k, v]``: PutItem. ``cas [k, [old, new]]``: UpdateItem with a ConditionExpression on the
  current value (``attribute_not_exists`` for ``old = None``); a failed condition is
  ``fail precondition-failed``.
- ``init {acct: balance}``: one TransactWriteItems of Puts. ``read {acct: None}``: one
  TransactGetItems -> ``{acct: balance}`` (absent accounts left out).
- ``transfer {from, to, amount}``, ``bank_mode`` ``txn``: one TransactWriteItems whose conditions
  refuse a negative balance (``fail insufficient-funds``) or a missing account
  (``fail missing-account``); ``rmw``: the non-transactional control, two GetItems then two
  PutItems.
- the outbox workload's ``transfer`` with extra ``outbox`` ``txn``: the same TransactWriteItems
  with a third item, a Put of the outbox record; ``separate`` (the control): the transaction,
  then a PutItem of the record (under a key of its own: ``outbox:`` and a nonce).
  ``read-outbox``: a consistent Scan of the table, every page, keeping the outbox items.
"""

from __future__ import annotations

import uuid
from typing import Any

from .._outbox import RECORD_PREFIX, new_record_key
from ._api import Api
from ._codec import KEY, decode, encode, key

NAMES = {"#v": "v"}
MAX_TXN_ITEMS = 100  # DynamoDB's limit per transaction
SCAN_PAGE = 100  # items per Scan page: small pages keep each request's read units small


def token() -> str:
    """A fresh ClientRequestToken (resent unchanged when the same request is retried)."""
    return uuid.uuid4().hex


class Ops:
    def __init__(self, api: Api, table: str) -> None:
        self.api = api
        self.table = table

    async def get(self, k: Any, consistent: bool) -> Any:
        r = await self.api.call("get_item", idempotent=True, TableName=self.table, Key=key(k),
                                ConsistentRead=consistent)
        item = r.get("Item")
        return decode(item.get("v")) if item else None

    async def put(self, k: Any, v: Any) -> None:
        await self.api.call("put_item", TableName=self.table, Item={**key(k), "v": encode(v)})

    async def cas(self, k: Any, old: Any, new: Any) -> None:
        params: dict[str, Any] = {
            "TableName": self.table, "Key": key(k), "UpdateExpression": "SET #v = :new",
            "ExpressionAttributeNames": NAMES,
        }
        values = {":new": encode(new)}
        if old is None:
            params["ConditionExpression"] = "attribute_not_exists(#v)"
        else:
            params["ConditionExpression"] = "#v = :old"
            values[":old"] = encode(old)
        await self.api.call("update_item", ExpressionAttributeValues=values, **params)

    async def init_accounts(self, balances: dict[Any, Any]) -> None:
        items = [{"Put": {"TableName": self.table, "Item": {**key(a), "v": encode(b)}}}
                 for a, b in balances.items()]
        for i in range(0, len(items), MAX_TXN_ITEMS):
            await self.api.call("transact_write_items", idempotent=True, ClientRequestToken=token(),
                                TransactItems=items[i:i + MAX_TXN_ITEMS])

    async def read_accounts(self, accounts: list[Any]) -> dict[Any, Any]:
        r = await self.api.call("transact_get_items", idempotent=True, TransactItems=[
            {"Get": {"TableName": self.table, "Key": key(a)}} for a in accounts])
        out: dict[Any, Any] = {}
        for a, resp in zip(accounts, r.get("Responses", []), strict=True):
            item = resp.get("Item")
            if item and "v" in item:
                out[a] = decode(item["v"])
        return out

    async def transfer(self, src: Any, dst: Any, amount: Any,
                       record: dict[str, Any] | None = None) -> None:
        """Raises TransactionCanceledException when a condition fails (see :func:`bank_error`).
        With a ``record``, the outbox record is written by the same transaction."""
        a = encode(amount)
        extra = [{"Put": self._record_item(record)}] if record is not None else []
        await self.api.call("transact_write_items", idempotent=True, ClientRequestToken=token(),
                            TransactItems=[
            {"Update": {"TableName": self.table, "Key": key(src),
                        "UpdateExpression": "SET #v = #v - :a",
                        "ConditionExpression": "attribute_exists(#v) AND #v >= :a",
                        "ExpressionAttributeNames": NAMES, "ExpressionAttributeValues": {":a": a}}},
            {"Update": {"TableName": self.table, "Key": key(dst),
                        "UpdateExpression": "SET #v = #v + :a",
                        "ConditionExpression": "attribute_exists(#v)",
                        "ExpressionAttributeNames": NAMES, "ExpressionAttributeValues": {":a": a}}},
            *extra,
        ])

    def _record_item(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"TableName": self.table,
                "Item": {**key(new_record_key()), "v": encode(record)}}

    async def put_record(self, record: dict[str, Any]) -> None:
        """The outbox control's separate write of the record (PutItem)."""
        await self.api.call("put_item", **self._record_item(record))

    async def read_outbox(self) -> list[Any]:
        """Every outbox record, by a strongly consistent Scan of the whole table."""
        records: list[Any] = []
        params: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True,
                                  "Limit": SCAN_PAGE}
        while True:
            r = await self.api.call("scan", idempotent=True, **params)
            records += [decode(item["v"]) for item in r.get("Items", [])
                        if item[KEY].get("S", "").startswith(RECORD_PREFIX)]
            if "LastEvaluatedKey" not in r:
                return records
            params["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def bank_error(e: BaseException) -> str | None:
    """For a cancelled transfer: which condition failed (the source's balance, or an account
    missing), from the per-item CancellationReasons; None when it was not a condition."""
    response = getattr(e, "response", None) or {}
    reasons = response.get("CancellationReasons") or []
    codes = [r.get("Code") for r in reasons]
    if len(codes) == 2 and codes[1] == "ConditionalCheckFailed":
        return "missing-account"
    if codes and codes[0] == "ConditionalCheckFailed":
        return "insufficient-funds"
    return None
