"""The error taxonomy, row by row (docs/dynamodb-errors.md), then on the wire: a refused
connection, a connection closed after the request, and a request never answered."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from botocore import exceptions as bx

from isolde.harness.stores.dynamodb import (
    CANCELLATION_REASONS,
    ERROR_CODES,
    TRANSPORT_ERRORS,
    DynamoDBStore,
    DynamoOptions,
    classify,
)
from isolde.histories import Op


def client_error(code: str, status: int = 400, **extra: object) -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": "m"},
                           "ResponseMetadata": {"HTTPStatusCode": status}, **extra}, "PutItem")


# Expected verdicts, written out independently of the module's tables.
SERVICE_ROWS = [
    ("ConditionalCheckFailedException", "fail", "precondition-failed"),
    ("ValidationException", "fail", "validation"),
    ("SerializationException", "fail", "validation"),
    ("ResourceNotFoundException", "fail", "resource-not-found"),
    ("ResourceInUseException", "fail", "resource-in-use"),
    ("ProvisionedThroughputExceededException", "fail", "throttled"),
    ("ThrottlingException", "fail", "throttled"),
    ("RequestLimitExceeded", "fail", "throttled"),
    ("LimitExceededException", "fail", "limit-exceeded"),
    ("TransactionConflictException", "fail", "transaction-conflict"),
    ("ReplicatedWriteConflictException", "fail", "replicated-write-conflict"),
    ("IdempotentParameterMismatchException", "fail", "idempotent-parameter-mismatch"),
    ("ItemCollectionSizeLimitExceededException", "fail", "item-collection-size-limit"),
    ("AccessDeniedException", "fail", "access-denied"),
    ("UnrecognizedClientException", "fail", "unrecognized-client"),
    ("InvalidSignatureException", "fail", "invalid-signature"),
    ("IncompleteSignatureException", "fail", "invalid-signature"),
    ("MissingAuthenticationTokenException", "fail", "missing-authentication"),
    ("ExpiredTokenException", "fail", "expired-token"),
    ("UnknownOperationException", "fail", "unsupported-operation"),
    ("TransactionInProgressException", "info", "transaction-in-progress"),
    ("InternalServerError", "info", "internal-server-error"),
    ("ServiceUnavailable", "info", "service-unavailable"),
]


def test_every_service_row_is_tested() -> None:
    assert {r[0] for r in SERVICE_ROWS} == set(ERROR_CODES)


@pytest.mark.parametrize(("code", "typ", "kind"), SERVICE_ROWS)
def test_service_error(code: str, typ: str, kind: str) -> None:
    v = classify(client_error(code))
    assert (v.type, v.kind) == (typ, kind)


def test_unknown_codes_may_have_applied() -> None:
    assert classify(client_error("SomethingNew", 400)).type == "info"
    v = classify(client_error("SomethingNew", 503))
    assert (v.type, v.kind) == ("info", "server-error-503")


REASON_ROWS = [
    ("ConditionalCheckFailed", "fail", "precondition-failed"),
    ("TransactionConflict", "fail", "transaction-conflict"),
    ("ProvisionedThroughputExceeded", "fail", "throttled"),
    ("ThrottlingError", "fail", "throttled"),
    ("ItemCollectionSizeLimitExceeded", "fail", "item-collection-size-limit"),
    ("ValidationError", "fail", "validation"),
]


def test_every_reason_row_is_tested() -> None:
    assert {r[0] for r in REASON_ROWS} == set(CANCELLATION_REASONS)


@pytest.mark.parametrize(("reason", "typ", "kind"), REASON_ROWS)
def test_transaction_cancelled(reason: str, typ: str, kind: str) -> None:
    e = client_error("TransactionCanceledException",
                     CancellationReasons=[{"Code": "None"}, {"Code": reason}])
    v = classify(e)
    assert (v.type, v.kind) == (typ, kind)


def test_transaction_cancelled_names_the_condition_first() -> None:
    e = client_error("TransactionCanceledException", CancellationReasons=[
        {"Code": "TransactionConflict"}, {"Code": "ConditionalCheckFailed"}])
    assert classify(e).kind == "precondition-failed"


@pytest.mark.parametrize("reasons", [None, [], [{"Code": "None"}],
                                     [{"Code": "ConditionalCheckFailed"}, {"Code": "Novel"}]])
def test_transaction_cancelled_for_unknown_reasons_may_have_applied(reasons: object) -> None:
    extra = {} if reasons is None else {"CancellationReasons": reasons}
    v = classify(client_error("TransactionCanceledException", **extra))
    assert (v.type, v.kind) == ("info", "transaction-cancelled-unknown")


URL = "http://127.0.0.1:1"
TRANSPORT_ROWS: list[tuple[str, Callable[[], BaseException], str, str]] = [
    ("ParamValidationError", lambda: bx.ParamValidationError(report="bad"), "fail",
     "param-validation"),
    ("NoCredentialsError", lambda: bx.NoCredentialsError(), "fail", "no-credentials"),
    ("PartialCredentialsError",
     lambda: bx.PartialCredentialsError(provider="env", cred_var="x"), "fail", "no-credentials"),
    ("NoRegionError", lambda: bx.NoRegionError(), "fail", "no-region"),
    ("ProfileNotFound", lambda: bx.ProfileNotFound(profile="p"), "fail", "profile-not-found"),
    ("ConnectTimeoutError", lambda: bx.ConnectTimeoutError(endpoint_url=URL), "fail",
     "connect-timeout"),
    ("ProxyConnectionError", lambda: bx.ProxyConnectionError(proxy_url=URL), "fail",
     "connect-failed"),
    ("ReadTimeoutError", lambda: bx.ReadTimeoutError(endpoint_url=URL), "info", "timeout"),
    ("ConnectionClosedError", lambda: bx.ConnectionClosedError(endpoint_url=URL), "info",
     "connection-closed"),
    ("ResponseStreamingError", lambda: bx.ResponseStreamingError(error="x"), "info",
     "connection-closed"),
    ("IncompleteReadError",
     lambda: bx.IncompleteReadError(actual_bytes=1, expected_bytes=2), "info",
     "connection-closed"),
    ("SSLError", lambda: bx.SSLError(endpoint_url=URL, error="x"), "info", "ssl-error"),
    ("HTTPClientError", lambda: bx.HTTPClientError(error="x"), "info", "http-client-error"),
]


def test_every_transport_row_is_tested() -> None:
    assert {r[0] for r in TRANSPORT_ROWS} == set(TRANSPORT_ERRORS)


@pytest.mark.parametrize(("name", "make", "typ", "kind"), TRANSPORT_ROWS,
                         ids=[r[0] for r in TRANSPORT_ROWS])
def test_transport_error(name: str, make: Callable[[], BaseException], typ: str,
                         kind: str) -> None:
    e = make()
    assert type(e).__name__ == name
    v = classify(e)
    assert (v.type, v.kind) == (typ, kind)


def test_endpoint_connection_error_depends_on_whether_a_connection_was_made() -> None:
    key = aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None)
    never = bx.EndpointConnectionError(
        endpoint_url=URL, error=aiohttp.ClientConnectorError(key, ConnectionRefusedError()))
    assert (classify(never).type, classify(never).kind) == ("fail", "connect-failed")
    broken = bx.EndpointConnectionError(
        endpoint_url=URL, error=aiohttp.ClientOSError(104, "Connection reset by peer"))
    assert (classify(broken).type, classify(broken).kind) == ("info", "connection-error")


def test_plain_exceptions() -> None:
    assert classify(TimeoutError()).type == "info"
    assert classify(ConnectionRefusedError()).type == "fail"
    assert classify(ConnectionResetError()).type == "info"
    assert classify(ValueError("x")).kind == "unexpected:ValueError"


# -- on the wire: a tiny server that misbehaves in one way -------------------------------------


@contextlib.asynccontextmanager
async def server(behaviour: str) -> AsyncIterator[int]:
    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await r.readuntil(b"\r\n\r\n")  # the request head; then misbehave
            if behaviour == "close":
                w.close()
                return
            await asyncio.sleep(30)  # "hang": never answer

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _write_via(port: int) -> Op:
    store = DynamoDBStore(DynamoOptions(endpoint_url=f"http://127.0.0.1:{port}",
                                        dummy_credentials=True, read_timeout=0.5,
                                        connect_timeout=0.5, retries=0))
    client = await store.open_client(0)
    try:
        return await client.invoke(Op(0, 0, "invoke", 0, "write", [1, 1]))
    finally:
        await store.teardown()


def _run(coro: Awaitable[Op]) -> Op:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_wire_refused_connection_is_fail() -> None:
    done = _run(_write_via(closed_port()))
    assert (done.type, done.error) == ("fail", "connect-failed")


@pytest.mark.parametrize(("behaviour", "kind"), [("close", "connection-closed"),
                                                  ("hang", "timeout")])
def test_wire_request_sent_without_answer_is_info(behaviour: str, kind: str) -> None:
    async def go() -> Op:
        async with server(behaviour) as port:
            return await _write_via(port)

    done = _run(go())
    assert (done.type, done.error) == ("info", kind)


def test_wire_read_without_answer_is_fail() -> None:
    """A read changes nothing: even unanswered, it certainly had no effect."""
    async def go() -> Op:
        async with server("hang") as port:
            store = DynamoDBStore(DynamoOptions(endpoint_url=f"http://127.0.0.1:{port}",
                                                dummy_credentials=True, read_timeout=0.5,
                                                retries=0))
            client = await store.open_client(0)
            try:
                return await client.invoke(Op(0, 0, "invoke", 0, "read", [1, None]))
            finally:
                await store.teardown()

    done = _run(go())
    assert (done.type, done.error) == ("fail", "timeout")
