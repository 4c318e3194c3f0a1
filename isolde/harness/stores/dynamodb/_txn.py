"""List-append (and rw-register) transactions on DynamoDB.

A transaction of micro-ops ``["r", k, None]``, ``["append", k, v]``, ``["w", k, v]`` becomes:

- one key: GetItem (reads only), or one UpdateItem -- ``list_append`` for appends, ``SET`` for a
  write -- with ``ReturnValues=ALL_OLD`` when it also reads, so the reads come from the same atomic
  step as the write;
- several keys, reads only: one TransactGetItems; writes only: one TransactWriteItems;
- several keys, reads and writes (DynamoDB has no read-write transaction): optimistic concurrency
  -- TransactGetItems, then a TransactWriteItems whose conditions require every key read to be
  at the version read (items carry a version ``n``, bumped by every write). A failed condition
  retries from the read, up to ``occ_attempts`` times, then ``fail read-validation-failed``.

Every TransactWriteItems carries a ClientRequestToken, resent unchanged when the request itself
is retried, so a retried commit applies at most once.
"""

from __future__ import annotations

from typing import Any

from ._api import Api
from ._codec import decode, encode, key
from ._errors import classify
from ._ops import MAX_TXN_ITEMS, token

NAMES = {"#v": "v", "#n": "n"}
_EMPTY: dict[str, Any] = {"L": []}
_ZERO = {"N": "0"}
_ONE = {"N": "1"}


class TxnAborted(Exception):
    """Certainly not applied: ``error`` is the reason recorded as the op's error."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _plan(mops: list[Any]) -> tuple[list[Any], dict[Any, list[Any]], set[Any]]:
    """Keys in order of first use, the write micro-ops per key, and the keys read."""
    keys: list[Any] = []
    writes: dict[Any, list[Any]] = {}
    reads: set[Any] = set()
    seen: set[Any] = set()
    for kind, k, arg in mops:
        if k not in seen:
            seen.add(k)
            keys.append(k)
        if kind == "r":
            reads.add(k)
        else:
            writes.setdefault(k, []).append((kind, arg))
    return keys, writes, reads


def _update(k_writes: list[Any]) -> tuple[str, dict[str, Any]]:
    """An UpdateExpression applying one key's writes in order, and its values (with ``:n``
    bumping the version)."""
    last_w = max((i for i, (kind, _) in enumerate(k_writes) if kind == "w"), default=None)
    if last_w is not None:  # a write replaces the value: later appends extend it
        value = k_writes[last_w][1]
        tail = [arg for _, arg in k_writes[last_w + 1:]]
        if tail:
            value = [*(value if isinstance(value, list) else [value]), *tail]
        expr, values = "SET #v = :val", {":val": encode(value)}
    else:
        expr = "SET #v = list_append(if_not_exists(#v, :empty), :vals)"
        values = {":empty": _EMPTY, ":vals": encode([arg for _, arg in k_writes])}
    return expr + ", #n = if_not_exists(#n, :zero) + :one", {**values, ":zero": _ZERO,
                                                               ":one": _ONE}


def _complete(mops: list[Any], before: dict[Any, Any]) -> list[Any]:
    """The completed micro-ops, reads filled from the values ``before`` the transaction."""
    cur = dict(before)
    out: list[Any] = []
    for kind, k, arg in mops:
        if kind == "r":
            v = cur.get(k)
            out.append(["r", k, list(v) if isinstance(v, list) else v])
        elif kind == "append":
            cur[k] = [*(cur.get(k) or []), arg]
            out.append([kind, k, arg])
        else:
            cur[k] = arg
            out.append([kind, k, arg])
    return out


class Txns:
    def __init__(self, api: Api, table: str, occ_attempts: int) -> None:
        self.api = api
        self.table = table
        self.occ_attempts = occ_attempts

    async def run(self, mops: list[Any]) -> list[Any]:
        """Run the transaction; returns the completed micro-ops or raises (TxnAborted, or the
        last DynamoDB error)."""
        keys, writes, reads = _plan(mops)
        if len(keys) > MAX_TXN_ITEMS:
            raise TxnAborted("too-many-items")
        if len(keys) == 1:
            return await self._single(mops, keys[0], writes.get(keys[0]), bool(reads))
        if not writes:
            return _complete(mops, await self._snapshot(keys))
        if not reads:
            await self._commit(writes, {})
            return _complete(mops, {})
        return await self._read_write(mops, keys, writes, reads)

    async def _single(self, mops: list[Any], k: Any, k_writes: list[Any] | None,
                      reads: bool) -> list[Any]:
        if k_writes is None:
            r = await self.api.call("get_item", idempotent=True, TableName=self.table, Key=key(k),
                                    ConsistentRead=True)
            item = r.get("Item") or {}
            return _complete(mops, {k: decode(item.get("v"))})
        expr, values = _update(k_writes)
        r = await self.api.call(
            "update_item", TableName=self.table, Key=key(k), UpdateExpression=expr,
            ExpressionAttributeNames=NAMES, ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD" if reads else "NONE",
        )
        old = (r.get("Attributes") or {}).get("v")
        return _complete(mops, {k: decode(old)})

    async def _snapshot(self, keys: list[Any]) -> dict[Any, Any]:
        return {k: v for k, (v, _) in (await self._versions(keys)).items()}

    async def _versions(self, keys: list[Any]) -> dict[Any, tuple[Any, int | None]]:
        """Values and versions of ``keys`` at one instant (TransactGetItems is serializable)."""
        r = await self.api.call("transact_get_items", idempotent=True, TransactItems=[
            {"Get": {"TableName": self.table, "Key": key(k)}} for k in keys])
        out: dict[Any, tuple[Any, int | None]] = {}
        for k, resp in zip(keys, r.get("Responses", []), strict=True):
            item = resp.get("Item")
            out[k] = ((decode(item.get("v")), decode(item.get("n"))) if item else (None, None))
        return out

    async def _commit(self, writes: dict[Any, list[Any]],
                      expect: dict[Any, int | None]) -> None:
        """One TransactWriteItems: the writes, plus conditions that each key in ``expect`` is
        still at that version (``None``: still absent)."""
        items: list[dict[str, Any]] = []
        for k, k_writes in writes.items():
            expr, values = _update(k_writes)
            update: dict[str, Any] = {"TableName": self.table, "Key": key(k),
                                      "UpdateExpression": expr, "ExpressionAttributeNames": NAMES,
                                      "ExpressionAttributeValues": values}
            if k in expect:
                update.update(_condition(expect[k], values))
            items.append({"Update": update})
        for k, version in expect.items():
            if k not in writes:
                check: dict[str, Any] = {"TableName": self.table, "Key": key(k),
                                         "ExpressionAttributeNames": {"#n": "n"}}
                values = {}
                check.update(_condition(version, values))
                if values:
                    check["ExpressionAttributeValues"] = values
                items.append({"ConditionCheck": check})
        await self.api.call("transact_write_items", idempotent=True, ClientRequestToken=token(),
                            TransactItems=items)

    async def _read_write(self, mops: list[Any], keys: list[Any], writes: dict[Any, list[Any]],
                          reads: set[Any]) -> list[Any]:
        for _ in range(self.occ_attempts):
            seen = await self._versions(keys)
            try:
                await self._commit(writes, {k: seen[k][1] for k in keys if k in reads})
            except Exception as e:
                if classify(e).kind == "precondition-failed":
                    continue  # a key read was written meanwhile: read again
                raise
            return _complete(mops, {k: v for k, (v, _) in seen.items()})
        raise TxnAborted("read-validation-failed")


def _condition(version: int | None, values: dict[str, Any]) -> dict[str, str]:
    if version is None:
        return {"ConditionExpression": "attribute_not_exists(#n)"}
    values[":seen"] = {"N": str(version)}
    return {"ConditionExpression": "#n = :seen"}
