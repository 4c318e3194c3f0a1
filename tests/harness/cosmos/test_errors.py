"""docs/cosmos-errors.md, row by row: each error an op can end in -> fail or info."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import ClientConnectorError, ServerDisconnectedError
from aiohttp.client_reqrep import ConnectionKey
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
    CosmosResourceNotFoundError,
)

from isolde.harness.stores.cosmos import STATUS, CosmosWorker, classify
from isolde.histories import Op


def http(status: int) -> CosmosHttpResponseError:
    return CosmosHttpResponseError(status_code=status, message=f"status {status}")


@pytest.mark.parametrize(("status", "typ", "kind"), [
    (412, "fail", "precondition-failed"),
    (409, "fail", "conflict"),
    (429, "fail", "throttled"),
    (404, "fail", "not-found"),
    (400, "fail", "bad-request"),
    (401, "fail", "unauthorized"),
    (403, "fail", "forbidden"),
    (413, "fail", "entity-too-large"),
    (408, "info", "request-timeout"),
    (449, "info", "retry-with"),
    (500, "info", "internal-server-error"),
    (503, "info", "service-unavailable"),
    (422, "fail", "http-422"),  # any other 4xx: refused
    (502, "info", "http-502"),  # any other 5xx: may have applied
])
def test_status_rows(status: int, typ: str, kind: str) -> None:
    assert tuple(classify(http(status))) == (typ, kind)


def test_every_documented_status_is_tested() -> None:
    assert set(STATUS) == {400, 401, 403, 404, 408, 409, 412, 413, 429, 449, 500, 503}


def request_error(inner: BaseException) -> ServiceRequestError:
    return ServiceRequestError("request failed", error=inner)


@pytest.mark.parametrize(("error", "typ", "kind"), [
    (request_error(ClientConnectorError(ConnectionKey("127.0.0.1", 1, False, True, None, None,
                                                      None), OSError(111, "refused"))),
     "fail", "connect-error"),
    (request_error(ServerDisconnectedError()), "info", "connection-lost"),
    (ServiceResponseError("connection reset"), "info", "connection-lost"),
    (CosmosClientTimeoutError(), "info", "timeout"),
    (TimeoutError(), "info", "timeout"),
    (RuntimeError("?"), "info", "unexpected:RuntimeError"),
])
def test_transport_rows(error: BaseException, typ: str, kind: str) -> None:
    assert tuple(classify(error)) == (typ, kind)


class FakeContainer:
    """Raises ``error`` on every request: what a worker makes of it is under test."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def read_item(self, *a: Any, **kw: Any) -> Any:
        raise self.error

    async def upsert_item(self, *a: Any, **kw: Any) -> Any:
        raise self.error

    async def replace_item(self, *a: Any, **kw: Any) -> Any:
        raise self.error


def invoke(error: BaseException, f: str, value: Any) -> Op:
    worker = CosmosWorker(FakeContainer(error), "point", "strong")
    return asyncio.run(worker.invoke(Op(0, 0, "invoke", 0, f, value)))


@pytest.mark.parametrize("status", [408, 503])
def test_write_timeout_or_unavailable_is_info(status: int) -> None:
    done = invoke(http(status), "write", [1, 5])
    assert (done.type, done.error) == ("info", STATUS[status].kind)


def test_connection_lost_after_send_on_write_is_info() -> None:
    assert invoke(ServiceResponseError("reset"), "write", [1, 5]).type == "info"


@pytest.mark.parametrize("error", [http(503), http(408), ServiceResponseError("reset"),
                                   CosmosClientTimeoutError()])
def test_any_read_error_is_fail(error: BaseException) -> None:
    done = invoke(error, "read", [1, None])
    assert done.type == "fail"


def test_404_on_read_is_a_read_of_nothing() -> None:
    done = invoke(CosmosResourceNotFoundError(status_code=404, message="gone"), "read", [1, None])
    assert (done.type, done.value) == ("ok", [1, None])


def test_stale_etag_on_cas_is_fail() -> None:
    class Stale(FakeContainer):
        async def read_item(self, *a: Any, **kw: Any) -> Any:
            return {"id": "1", "v": 1, "_etag": "e1"}

    # Each 412 is followed by a fresh read; the value is still 1, so it tries again, and after
    # CAS_ATTEMPTS refusals the CAS fails: it certainly never applied.
    worker = CosmosWorker(Stale(CosmosAccessConditionFailedError(status_code=412)), "point",
                          "strong")
    done = asyncio.run(worker.invoke(Op(0, 0, "invoke", 0, "cas", [1, [1, 2]])))
    assert (done.type, done.error) == ("fail", "precondition-failed")


def test_throttled_write_is_fail() -> None:
    assert (invoke(http(429), "write", [1, 5]).type) == "fail"


@pytest.mark.parametrize("error", [http(503), ServiceResponseError("reset")])
def test_a_cas_whose_read_fails_is_fail(error: BaseException) -> None:
    # Nothing was written before the read: the CAS certainly had no effect.
    done = invoke(error, "cas", [1, [1, 2]])
    assert (done.type, done.error) == ("fail", classify(error).kind)
