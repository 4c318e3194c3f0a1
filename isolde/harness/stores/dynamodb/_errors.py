"""The error taxonomy: every exception an op can end in -> ``fail`` or ``info``.

``fail`` means the request certainly did not take effect (DynamoDB rejected it before applying
anything, or it never left this machine); ``info`` means it may have. When in doubt, ``info``:
calling an applied write ``fail`` would make a checker accuse the store of a lost write. The table
is documented row by row in docs/dynamodb-errors.md, with a test per row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

FAIL = "fail"
INFO = "info"


@dataclass(frozen=True)
class Verdict:
    """``type``: fail|info; ``kind``: the stable name recorded as the op's error; ``transient``:
    trying again may succeed (a retry is still only safe when the request is idempotent or
    certainly not applied)."""

    type: str
    kind: str
    transient: bool = False


# Service error codes (``ClientError.response["Error"]["Code"]``) whose meaning is documented.
ERROR_CODES: dict[str, Verdict] = {
    "ConditionalCheckFailedException": Verdict(FAIL, "precondition-failed"),
    "ValidationException": Verdict(FAIL, "validation"),
    "SerializationException": Verdict(FAIL, "validation"),
    "ResourceNotFoundException": Verdict(FAIL, "resource-not-found"),
    "ResourceInUseException": Verdict(FAIL, "resource-in-use"),
    "ProvisionedThroughputExceededException": Verdict(FAIL, "throttled", True),
    "ThrottlingException": Verdict(FAIL, "throttled", True),
    "RequestLimitExceeded": Verdict(FAIL, "throttled", True),
    "LimitExceededException": Verdict(FAIL, "limit-exceeded"),
    "TransactionConflictException": Verdict(FAIL, "transaction-conflict", True),
    "ReplicatedWriteConflictException": Verdict(FAIL, "replicated-write-conflict", True),
    "IdempotentParameterMismatchException": Verdict(FAIL, "idempotent-parameter-mismatch"),
    "ItemCollectionSizeLimitExceededException": Verdict(FAIL, "item-collection-size-limit"),
    "AccessDeniedException": Verdict(FAIL, "access-denied"),
    "UnrecognizedClientException": Verdict(FAIL, "unrecognized-client"),
    "InvalidSignatureException": Verdict(FAIL, "invalid-signature"),
    "IncompleteSignatureException": Verdict(FAIL, "invalid-signature"),
    "MissingAuthenticationTokenException": Verdict(FAIL, "missing-authentication"),
    "ExpiredTokenException": Verdict(FAIL, "expired-token"),
    "UnknownOperationException": Verdict(FAIL, "unsupported-operation"),
    # Still being processed under this ClientRequestToken: it may yet commit.
    "TransactionInProgressException": Verdict(INFO, "transaction-in-progress", True),
    "InternalServerError": Verdict(INFO, "internal-server-error", True),
    "ServiceUnavailable": Verdict(INFO, "service-unavailable", True),
}

# TransactionCanceledException: the whole transaction was cancelled, nothing applied -- for the
# documented reasons. An unknown reason code is not trusted to mean that.
CANCELLATION_REASONS: dict[str, Verdict] = {
    "ConditionalCheckFailed": Verdict(FAIL, "precondition-failed"),
    "TransactionConflict": Verdict(FAIL, "transaction-conflict", True),
    "ProvisionedThroughputExceeded": Verdict(FAIL, "throttled", True),
    "ThrottlingError": Verdict(FAIL, "throttled", True),
    "ItemCollectionSizeLimitExceeded": Verdict(FAIL, "item-collection-size-limit"),
    "ValidationError": Verdict(FAIL, "validation"),
}
# Reasons in order of which names the cancellation best (a failed condition explains the most).
_REASON_ORDER = ("ConditionalCheckFailed", "ValidationError", "ItemCollectionSizeLimitExceeded",
                 "TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError")

# botocore's transport and client-side exceptions, by class name.
TRANSPORT_ERRORS: dict[str, Verdict] = {
    # Never sent: the client refused to build or sign the request.
    "ParamValidationError": Verdict(FAIL, "param-validation"),
    "NoCredentialsError": Verdict(FAIL, "no-credentials"),
    "PartialCredentialsError": Verdict(FAIL, "no-credentials"),
    "NoRegionError": Verdict(FAIL, "no-region"),
    "ProfileNotFound": Verdict(FAIL, "profile-not-found"),
    # Never sent: no connection could be made.
    "ConnectTimeoutError": Verdict(FAIL, "connect-timeout", True),
    "ProxyConnectionError": Verdict(FAIL, "connect-failed", True),
    # Sent, no complete answer: it may have been applied.
    "ReadTimeoutError": Verdict(INFO, "timeout", True),
    "ConnectionClosedError": Verdict(INFO, "connection-closed", True),
    "ResponseStreamingError": Verdict(INFO, "connection-closed", True),
    "IncompleteReadError": Verdict(INFO, "connection-closed", True),
    "SSLError": Verdict(INFO, "ssl-error", True),
    "HTTPClientError": Verdict(INFO, "http-client-error", True),
}

_CONNECT_FAILED = Verdict(FAIL, "connect-failed", True)
_CONNECTION_ERROR = Verdict(INFO, "connection-error", True)


def _connect_never_made(e: BaseException) -> bool:
    """aiobotocore raises EndpointConnectionError both when it cannot connect (never sent) and
    when an established connection breaks mid-request (maybe applied): tell them apart by the
    wrapped aiohttp error."""
    inner = getattr(e, "kwargs", {}).get("error")
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiobotocore depends on aiohttp
        return False
    import socket

    return isinstance(inner, (aiohttp.ClientConnectorError, socket.gaierror))


def classify_cancellation(reasons: list[dict[str, Any]] | None) -> Verdict:
    """A TransactionCanceledException by its CancellationReasons (one per item, ``None`` for
    the items that were fine)."""
    codes = {str(r.get("Code")) for r in reasons or () if r.get("Code") not in (None, "None")}
    if not codes or codes - CANCELLATION_REASONS.keys():
        return Verdict(INFO, "transaction-cancelled-unknown")
    for code in _REASON_ORDER:
        if code in codes:
            return CANCELLATION_REASONS[code]
    raise AssertionError("unreachable")  # pragma: no cover


def classify(e: BaseException) -> Verdict:
    """The verdict for an exception raised by an aiobotocore DynamoDB call."""
    response = getattr(e, "response", None)
    if isinstance(response, dict) and "Error" in response:
        code = str(response["Error"].get("Code", ""))
        if code == "TransactionCanceledException":
            return classify_cancellation(response.get("CancellationReasons"))
        if code in ERROR_CODES:
            return ERROR_CODES[code]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500:
            return Verdict(INFO, f"server-error-{status}", True)
        return Verdict(INFO, f"unknown-error:{code or status}")
    for cls in type(e).__mro__:  # by name, so subclasses (aiobotocore's too) are covered
        if cls.__name__ == "EndpointConnectionError":
            return _CONNECT_FAILED if _connect_never_made(e) else _CONNECTION_ERROR
        if cls.__name__ in TRANSPORT_ERRORS:
            return TRANSPORT_ERRORS[cls.__name__]
    if isinstance(e, (TimeoutError, asyncio.TimeoutError)):
        return Verdict(INFO, "timeout", True)
    if isinstance(e, ConnectionRefusedError):
        return _CONNECT_FAILED
    if isinstance(e, OSError):
        return _CONNECTION_ERROR
    return Verdict(INFO, f"unexpected:{type(e).__name__}")
