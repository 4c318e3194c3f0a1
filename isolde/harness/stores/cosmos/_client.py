"""One worker's client: register ops (``read`` / ``write`` / ``cas`` on ``[k, v]``) on documents
``{"id": str(k), "v": v}`` partitioned by ``/id``, every error classified (``_errors``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Mapping
from typing import Any, TypeVar

from ....histories import Op
from ..._client_faults import ClientFaults
from .._attempts import after
from ._errors import classify
from ._transport import SENT, Sent

T = TypeVar("T")

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


class CasReadFailed(Exception):
    """A CAS's read failed: nothing was written (an earlier attempt's replace, if any, was
    refused with a 412), so the CAS certainly had no effect, whatever the read's error."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(cause)
        self.cause = cause


class CosmosWorker:
    """``container``: the SDK's async ContainerProxy (shared by all workers). ``read_via``:
    ``point`` (read_item) or ``query`` (a single-partition query by id, for cosmosdb-server,
    which answers a point read of a missing document with a 500). ``session_tokens``: ``keep``
    (the worker -- one logical process -- keeps the session tokens of its own requests and
    passes them on its session reads: Cosmos's read-your-writes is per token) or ``drop`` (its
    session reads carry none: what a user who forgets the token gets). ``faults``: the
    client-path faults every SDK call runs under."""

    def __init__(self, container: Any, read_via: str, default_read: str,
                 session_tokens: str = "keep", faults: ClientFaults | None = None) -> None:
        self.container = container
        self.read_via = read_via
        self.default_read = default_read
        self.session_tokens = session_tokens
        self.faults = faults
        self.tokens: dict[str, str] = {}  # partition key range id -> its latest session token

    async def close(self) -> None:
        return None  # the HTTP client is the store's

    @property
    def session_token(self) -> str | None:
        """The token a session read carries: the latest one of each partition key range."""
        if self.session_tokens == "drop" or not self.tokens:
            return None
        return ",".join(f"{r}:{t}" for r, t in sorted(self.tokens.items()))

    def _hook(self, headers: Mapping[str, str], _body: Any = None) -> None:
        for part in (headers.get("x-ms-session-token") or "").split(","):
            pk_range, sep, token = part.partition(":")
            if sep:
                self.tokens[pk_range] = token

    def request_options(self, mode: str | None) -> dict[str, Any]:
        """The SDK keyword arguments of a read asking for consistency ``mode`` (None: the
        account's default). The level and the session token go through azure-core's
        per-request ``headers``: azure-cosmos 4.17.1 accepts ``initial_headers`` but never
        sends them, its ``read_item`` has no level argument, and it sends a ``session_token``
        argument only when the client's own default level is Session (isolde's has none)."""
        headers: dict[str, str] = {}
        if mode is not None:
            headers["x-ms-consistency-level"] = LEVELS[mode]
        token = self.session_token
        if mode == "session" and token is not None:
            headers["x-ms-session-token"] = token
        return {"response_hook": self._hook, "headers": headers}

    async def _call(self, aw: Awaitable[T]) -> T:
        return await (aw if self.faults is None else self.faults.call(aw))

    async def get(self, key: str, mode: str | None) -> dict[str, Any] | None:
        """The document, or None when there is none."""
        from azure.cosmos.exceptions import CosmosResourceNotFoundError

        kw = self.request_options(mode)
        if self.read_via == "query":
            docs = await self._call(_collect(self.container.query_items(
                _BY_ID, parameters=[{"name": "@id", "value": key}], partition_key=key, **kw)))
            return docs[0] if docs else None
        try:
            return dict(await self._call(self.container.read_item(key, partition_key=key, **kw)))
        except CosmosResourceNotFoundError:
            return None

    async def invoke(self, op: Op) -> Op:
        sent = Sent()
        token = SENT.set(sent)
        try:
            done = await self._invoke(op)
        finally:
            SENT.reset(token)
        # The SDK resent each 429 but one that ended the op as throttled: its retries.
        retries = sent.throttled - (done.error == "throttled")
        earlier = sent.writes.ambiguous(done.type)
        if earlier is not None:  # the SDK resent a write that may have applied
            done = done.with_(type="info", error=after(str(done.error), earlier))
        return done.with_(extra={**done.extra, "retries": retries}) if retries else done

    async def _invoke(self, op: Op) -> Op:
        try:
            return await self._dispatch(op)
        except CasMismatch:
            return op.complete("fail", op.value, error="precondition-failed")
        except CasReadFailed as e:
            return op.complete("fail", op.value, error=classify(e.cause).kind)
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
            await self._call(self.container.upsert_item({"id": key, "v": arg},
                                                        response_hook=self._hook))
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
            try:
                doc = await self.get(key, None)  # the If-Match below is what makes it safe
            except Exception as e:
                raise CasReadFailed(e) from e
            if doc is None and old is None:
                await self._create(key, new)
                return
            if doc is None or doc.get("v") != old:
                raise CasMismatch
            try:
                await self._call(self.container.replace_item(
                    key, {"id": key, "v": new}, etag=doc["_etag"],
                    match_condition=MatchConditions.IfNotModified, response_hook=self._hook))
                return
            except CosmosAccessConditionFailedError:
                continue  # certainly not applied: read again
        raise CasMismatch

    async def _create(self, key: str, value: Any) -> None:
        from azure.cosmos.exceptions import CosmosResourceExistsError

        try:
            await self._call(self.container.create_item({"id": key, "v": value},
                                                        response_hook=self._hook))
        except CosmosResourceExistsError:
            raise CasMismatch from None


async def _collect(items: AsyncIterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d async for d in items]
