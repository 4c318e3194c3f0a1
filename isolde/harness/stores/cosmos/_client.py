"""One worker's client: register ops (``read`` / ``write`` / ``cas`` on ``[k, v]``) on documents
``{"id": str(k), "v": v}`` partitioned by ``/id``, every error classified (``_errors``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ....histories import Op
from ._errors import classify

log = logging.getLogger("isolde.cosmos")

# isolde's read modes -> Cosmos DB's consistency levels (x-ms-consistency-level). A request may
# only relax the account's default level, never strengthen it.
LEVELS: Mapping[str, str] = {
    "strong": "Strong",
    "bounded": "BoundedStaleness",
    "session": "Session",
    "consistent-prefix": "ConsistentPrefix",
    "eventual": "Eventual",
}
_BY_ID = "SELECT * FROM c WHERE c.id = @id"
CAS_ATTEMPTS = 5


class CasMismatch(Exception):
    """The document's value is not the CAS's expected one: nothing was written."""


class CosmosWorker:
    """``container``: the SDK's async ContainerProxy (shared by all workers). ``read_via``:
    ``point`` (read_item) or ``query`` (a single-partition query by id, for cosmosdb-server,
    which answers a point read of a missing document with a 500). The worker keeps its own
    session token, passed on its session reads (Cosmos's read-your-writes is per token)."""

    def __init__(self, container: Any, read_via: str, default_read: str) -> None:
        self.container = container
        self.read_via = read_via
        self.default_read = default_read
        self.session_token: str | None = None

    async def close(self) -> None:
        return None  # the HTTP client is the store's

    def _hook(self, headers: Mapping[str, str], _body: Any) -> None:
        token = headers.get("x-ms-session-token")
        if token:
            self.session_token = token

    def request_options(self, mode: str) -> dict[str, Any]:
        """The SDK keyword arguments of a read asking for consistency ``mode``. The level goes
        through azure-core's per-request ``headers``: azure-cosmos 4.17.1 accepts
        ``initial_headers`` but never sends them, and its ``read_item`` has no level argument."""
        kw: dict[str, Any] = {"response_hook": self._hook,
                              "headers": {"x-ms-consistency-level": LEVELS[mode]}}
        if mode == "session" and self.session_token is not None:
            kw["session_token"] = self.session_token
        return kw

    async def get(self, key: str, mode: str) -> dict[str, Any] | None:
        """The document, or None when there is none."""
        from azure.cosmos.exceptions import CosmosResourceNotFoundError

        kw = self.request_options(mode)
        if self.read_via == "query":
            docs = [d async for d in self.container.query_items(
                _BY_ID, parameters=[{"name": "@id", "value": key}], partition_key=key, **kw)]
            return docs[0] if docs else None
        try:
            return dict(await self.container.read_item(key, partition_key=key, **kw))
        except CosmosResourceNotFoundError:
            return None

    async def invoke(self, op: Op) -> Op:
        try:
            return await self._dispatch(op)
        except CasMismatch:
            return op.complete("fail", op.value, error="precondition-failed")
        except Exception as e:
            v = classify(e)
            if v.kind.startswith("unexpected"):
                log.warning("%s: %r", op.f, e)
            # A read changes nothing: whatever happened to it, it certainly had no effect.
            return op.complete("fail" if op.f == "read" else v.type, op.value, error=v.kind)

    async def _dispatch(self, op: Op) -> Op:
        v = op.value
        if not (isinstance(v, (list, tuple)) and len(v) == 2 and isinstance(v[0], (int, str))):
            return op.complete("fail", v, error="bad-value")
        k, arg = v
        key = str(k)
        if op.f == "read":
            mode = op.extra.get("consistency", self.default_read)
            if mode not in LEVELS:
                return op.complete("fail", v, error=f"unknown consistency {mode!r}")
            doc = await self.get(key, mode)
            return op.complete("ok", [k, None if doc is None else doc.get("v")])
        if op.f == "write":
            await self.container.upsert_item({"id": key, "v": arg}, response_hook=self._hook)
            return op.complete("ok", v)
        if op.f == "cas":
            if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
                return op.complete("fail", v, error="bad-value")
            await self._cas(key, arg[0], arg[1])
            return op.complete("ok", v)
        return op.complete("fail", v, error=f"unsupported f {op.f!r}")

    async def _cas(self, key: str, old: Any, new: Any) -> None:
        """Read the document, then replace it only if unchanged since (If-Match on its etag):
        the replace applies only while the value is still ``old``. A 412 means a write came
        between; if the value is still ``old`` (a write of the same value: the CAS compares
        values, the etag is only its means), it is tried again, at most ``CAS_ATTEMPTS`` times.
        From nothing (``old`` None) it is a create, refused (409) if a write made it first."""
        from azure.core import MatchConditions
        from azure.cosmos.exceptions import CosmosAccessConditionFailedError

        for _ in range(CAS_ATTEMPTS):
            doc = await self.get(key, "strong")
            if doc is None and old is None:
                await self._create(key, new)
                return
            if doc is None or doc.get("v") != old:
                raise CasMismatch
            try:
                await self.container.replace_item(
                    key, {"id": key, "v": new}, etag=doc["_etag"],
                    match_condition=MatchConditions.IfNotModified, response_hook=self._hook)
                return
            except CosmosAccessConditionFailedError:
                continue  # certainly not applied: read again
        raise CasMismatch

    async def _create(self, key: str, value: Any) -> None:
        from azure.cosmos.exceptions import CosmosResourceExistsError

        try:
            await self.container.create_item({"id": key, "v": value}, response_hook=self._hook)
        except CosmosResourceExistsError:
            raise CasMismatch from None
