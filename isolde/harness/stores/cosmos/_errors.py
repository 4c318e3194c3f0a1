"""Cosmos DB errors -> ``fail`` or ``info`` (the table in docs/cosmos-errors.md, a test per row).

``fail``: the request certainly did not take effect; ``info``: it may have. The SDK has already
retried what it retries (429 throttling, with its back-off) when an error reaches here; its
connection retries are off (see ``_store``), so an error after a request was sent is reported,
not resent -- except a write answered 503 with endpoint discovery on, which the SDK resends: the
transport notes it, and the worker makes a resend's certain failure ``info`` (``_transport``).
"""

from __future__ import annotations

import asyncio
from typing import Literal, NamedTuple

from ..._client_faults import CancelledAfterSend, ClientTimeout


class Verdict(NamedTuple):
    type: Literal["fail", "info"]
    kind: str


# HTTP status codes whose meaning Cosmos DB documents.
STATUS: dict[int, Verdict] = {
    400: Verdict("fail", "bad-request"),
    401: Verdict("fail", "unauthorized"),
    403: Verdict("fail", "forbidden"),
    404: Verdict("fail", "not-found"),
    409: Verdict("fail", "conflict"),
    412: Verdict("fail", "precondition-failed"),
    413: Verdict("fail", "entity-too-large"),
    429: Verdict("fail", "throttled"),  # the SDK gave up retrying: the request was refused
    # The service may have applied the request before it answered (or never answered).
    408: Verdict("info", "request-timeout"),
    449: Verdict("info", "retry-with"),
    500: Verdict("info", "internal-server-error"),
    503: Verdict("info", "service-unavailable"),
}


def classify_status(code: int | None) -> Verdict:
    """The completion of a request the service answered with HTTP status ``code`` (an error)."""
    if code in STATUS:
        return STATUS[code]
    return Verdict("fail", f"http-{code}") if code and code < 500 else \
        Verdict("info", f"http-{code}")


def classify(e: BaseException) -> Verdict:
    """The completion an op ending in ``e`` gets, and the stable name recorded as its error."""
    from azure.core.exceptions import (
        ServiceRequestError,
        ServiceResponseError,
    )
    from azure.cosmos.exceptions import CosmosClientTimeoutError, CosmosHttpResponseError

    if isinstance(e, CosmosClientTimeoutError):  # before the HTTP error it subclasses
        return Verdict("info", "timeout")
    if isinstance(e, CosmosHttpResponseError):
        return classify_status(e.status_code)
    if isinstance(e, ServiceRequestError):
        # azure-core wraps every aiohttp ClientError as a "request" error, also a connection
        # closed after the request went out (ServerDisconnectedError): only a failed connect
        # certainly sent nothing.
        from aiohttp import ClientConnectorError

        if isinstance(e.inner_exception, ClientConnectorError):
            return Verdict("fail", "connect-error")
        return Verdict("info", "connection-lost")
    if isinstance(e, ServiceResponseError):  # sent, then the connection broke or timed out
        return Verdict("info", "connection-lost")
    # The nemesis's client-path faults (before the TimeoutError they subclass).
    if isinstance(e, ClientTimeout):
        return Verdict("info", "client-timeout")
    if isinstance(e, CancelledAfterSend):
        return Verdict("info", "cancelled-after-send")
    if isinstance(e, (TimeoutError, asyncio.CancelledError)):
        return Verdict("info", "timeout")
    return Verdict("info", f"unexpected:{type(e).__name__}")
