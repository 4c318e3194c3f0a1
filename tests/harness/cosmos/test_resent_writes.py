"""A write the SDK resent after an attempt that may have applied (docs/cosmos-errors.md,
"Retries").

With endpoint discovery on (``--preferred-locations``), azure-cosmos 4.17.1 resends a write that
was answered 503 (``_ServiceUnavailableRetryPolicy``: "writes are retried for 503s"). A 503 may
come after the write applied; the resend is then refused because of the first attempt's own
write -- a CAS's replace by a 412 (the etag moved), its create by a 409 -- and the op must end
``info``, not ``fail``. cosmosdb-server cannot answer endpoint discovery, so these run the real
SDK and isolde's transport against a small fake endpoint on 127.0.0.1 that applies a request,
then answers it 503, when told to.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from isolde.harness.stores.cosmos import EMULATOR_KEY, CosmosWorker
from isolde.harness.stores.cosmos._store import cosmos_client
from isolde.harness.stores.cosmos._transport import transport
from isolde.histories import Op

DOCS = "/dbs/d/colls/c/docs"


class FakeAccount:
    """One region, one container (partition key ``/id``), documents with etags. ``lose``: per
    method, how many of the next document requests to answer 503 -- after applying them when
    ``applied``, else before."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.etags = 0
        self.lose: dict[str, int] = {}
        self.applied = True
        self.seen: list[tuple[str, int]] = []  # (method, status) of each document request
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.account)
        app.router.add_get("/dbs/d/colls/c/", self.container)
        app.router.add_route("*", DOCS + "/", self.document)
        app.router.add_route("*", DOCS + "/{id}/", self.document)
        return app

    async def account(self, _request: web.Request) -> web.Response:
        here = [{"name": "A", "databaseAccountEndpoint": self.url + "/"}]
        return web.json_response({"id": "acct", "_rid": "acct", "writableLocations": here,
                                  "readableLocations": here,
                                  "enableMultipleWriteLocations": False,
                                  "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"}})

    async def container(self, _request: web.Request) -> web.Response:
        return web.json_response({"id": "c", "_rid": "cA==", "_self": "dbs/dA==/colls/cA==/",
                                  "partitionKey": {"paths": ["/id"], "kind": "Hash"}})

    async def document(self, request: web.Request) -> web.Response:
        body = await request.read()
        lose = self.lose.get(request.method, 0) > 0
        if lose:
            self.lose[request.method] -= 1
        if lose and not self.applied:
            return self._answer(request.method, 503, {"code": "ServiceUnavailable"})
        status, doc = self._apply(request, json.loads(body) if body else None)
        return self._answer(request.method, 503 if lose else status, doc)

    def _answer(self, method: str, status: int, doc: dict[str, Any]) -> web.Response:
        self.seen.append((method, status))
        return web.json_response(doc, status=status, headers={"x-ms-request-charge": "1"})

    def _apply(self, request: web.Request, body: Any) -> tuple[int, dict[str, Any]]:
        key = request.match_info.get("id")
        if request.method == "GET":
            return (200, self.docs[key]) if key in self.docs else (404, {"code": "NotFound"})
        if request.method == "PUT":  # replace, If-Match
            assert key is not None
            if key not in self.docs:
                return 404, {"code": "NotFound"}
            if request.headers.get("If-Match") not in (None, self.docs[key]["_etag"]):
                return 412, {"code": "PreconditionFailed"}
            return 200, self.put(body)
        if request.headers.get("x-ms-documentdb-is-upsert") != "True" and body["id"] in self.docs:
            return 409, {"code": "Conflict"}
        return 201, self.put(body)

    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        self.etags += 1
        self.docs[body["id"]] = doc = {**body, "_etag": f'"{self.etags}"'}
        return doc


def run(account: FakeAccount, op: Op) -> Op:
    """``op`` through a worker whose SDK client has endpoint discovery on, as ``--store cosmos
    --preferred-locations A`` makes it."""

    async def go() -> Op:
        runner = web.AppRunner(account.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        account.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        client = cosmos_client(account.url, EMULATOR_KEY, 30.0, 0, transport(), ("A",))
        try:
            container = client.get_database_client("d").get_container_client("c")
            return await CosmosWorker(container, "point", "strong").invoke(op)
        finally:
            await client.close()
            await runner.cleanup()

    return asyncio.run(go())


def cas(old: Any, new: Any) -> Op:
    return Op(0, 0, "invoke", 0, "cas", [1, [old, new]])


def seeded(value: int) -> FakeAccount:
    account = FakeAccount()
    account.put({"id": "1", "v": value})
    return account


def test_a_cas_whose_replace_applied_then_503_is_info_not_failed() -> None:
    account = seeded(1)
    account.lose = {"PUT": 1}
    done = run(account, cas(1, 2))
    assert account.docs["1"]["v"] == 2  # the CAS did take effect...
    assert [s for m, s in account.seen if m == "PUT"] == [503, 412]  # ...and the SDK resent it
    assert (done.type, done.error) == ("info", "precondition-failed-after-service-unavailable")


def test_a_cas_from_nothing_whose_create_applied_then_503_is_info() -> None:
    account = FakeAccount()
    account.lose = {"POST": 1}
    done = run(account, cas(None, 5))
    assert account.docs["1"]["v"] == 5
    assert [s for m, s in account.seen if m == "POST"] == [503, 409]
    assert (done.type, done.error) == ("info", "precondition-failed-after-service-unavailable")


def test_a_resend_that_succeeds_is_ok() -> None:
    account = seeded(1)
    account.lose, account.applied = {"PUT": 1}, False
    done = run(account, cas(1, 2))
    assert (done.type, account.docs["1"]["v"]) == ("ok", 2)


def test_a_resent_read_leaves_a_failed_cas_failed() -> None:
    """Only write attempts count: a read answered 503 and resent applied nothing."""
    account = seeded(1)
    account.lose, account.applied = {"GET": 1}, False
    done = run(account, cas(7, 8))
    assert [s for m, s in account.seen if m == "GET"] == [503, 200]
    assert (done.type, done.error) == ("fail", "precondition-failed")
