"""The error taxonomy: every exception an op can end in -> ``fail`` or ``info``.

``fail`` means the request certainly did not take effect (DynamoDB rejected it before applying
anything, or it never left this machine); ``info`` means it may have. When in doubt, ``info``:
calling an applied write ``fail`` would make a checker accuse the store of a lost write. The table
is documented row by row in docs/dynamodb-errors.md, with a test per row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from .._attempts import after


@dataclass(frozen=True)
class Verdict:
    """``type``: the op's completion type; ``kind``: the stable name recorded as the op's error;
    ``transient``: trying again may succeed (a retry is still only safe when the request is
    idempotent or certainly not applied)."""

    type: Literal["fail", "info"]
    kind: str
    transient: bool = False


# Service error codes (``ClientError.response["Error"]["Code"]``) whose meaning is documented.
ERROR_CODES: dict[str, Verdict] = {
    "ConditionalCheckFailedException": Verdict("fail", "precondition-failed"),
    "ValidationException": Verdict("fail", "validation"),
    "SerializationException": Verdict("fail", "validation"),
    "ResourceNotFoundException": Verdict("fail", "resource-not-found"),
    "ResourceInUseException": Verdict("fail", "resource-in-use"),
    "ProvisionedThroughputExceededException": Verdict("fail", "throttled", True),
    "ThrottlingException": Verdict("fail", "throttled", True),
    "RequestLimitExceeded": Verdict("fail", "throttled", True),
    "LimitExceededException": Verdict("fail", "limit-exceeded"),
    "TransactionConflictException": Verdict("fail", "transaction-conflict", True),
    "ReplicatedWriteConflictException": Verdict("fail", "replicated-write-conflict", True),
    "IdempotentParameterMismatchException": Verdict("fail", "idempotent-parameter-mismatch"),
    "ItemCollectionSizeLimitExceededException": Verdict("fail", "item-collection-size-limit"),
    "AccessDeniedException": Verdict("fail", "access-denied"),
    "UnrecognizedClientException": Verdict("fail", "unrecognized-client"),
    "InvalidSignatureException": Verdict("fail", "invalid-signature"),
    "IncompleteSignatureException": Verdict("fail", "invalid-signature"),
    "MissingAuthenticationTokenException": Verdict("fail", "missing-authentication"),
    "ExpiredTokenException": Verdict("fail", "expired-token"),
    "UnknownOperationException": Verdict("fail", "unsupported-operation"),
    # Still being processed under this ClientRequestToken: it may yet commit.
    "TransactionInProgressException": Verdict("info", "transaction-in-progress", True),
    "InternalServerError": Verdict("info", "internal-server-error", True),
    "ServiceUnavailable": Verdict("info", "service-unavailable", True),
}

# TransactionCanceledException: the whole transaction was cancelled, nothing applied -- for the
# documented reasons. An unknown reason code is not trusted to mean that.
CANCELLATION_REASONS: dict[str, Verdict] = {
    "ConditionalCheckFailed": Verdict("fail", "precondition-failed"),
    "TransactionConflict": Verdict("fail", "transaction-conflict", True),
    "ProvisionedThroughputExceeded": Verdict("fail", "throttled", True),
    "ThrottlingError": Verdict("fail", "throttled", True),
    "ItemCollectionSizeLimitExceeded": Verdict("fail", "item-collection-size-limit"),
    "ValidationError": Verdict("fail", "validation"),
}
# Reasons in order of which names the cancellation best (a failed condition explains the most).
_REASON_ORDER = ("ConditionalCheckFailed", "ValidationError", "ItemCollectionSizeLimitExceeded",
                 "TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError")

# botocore's transport and client-side exceptions, by class name.
TRANSPORT_ERRORS: dict[str, Verdict] = {
    # Never sent: the client refused to build or sign the request.
    "ParamValidationError": Verdict("fail", "param-validation"),
    "NoCredentialsError": Verdict("fail", "no-credentials"),
    "PartialCredentialsError": Verdict("fail", "no-credentials"),
    "NoRegionError": Verdict("fail", "no-region"),
    "ProfileNotFound": Verdict("fail", "profile-not-found"),
    # Never sent: no connection could be made.
    "ConnectTimeoutError": Verdict("fail", "connect-timeout", True),
    "ProxyConnectionError": Verdict("fail", "connect-failed", True),
    # Sent, no complete answer: it may have been applied.
    "ReadTimeoutError": Verdict("info", "timeout", True),
    "ConnectionClosedError": Verdict("info", "connection-closed", True),
    "ResponseStreamingError": Verdict("info", "connection-closed", True),
    "IncompleteReadError": Verdict("info", "connection-closed", True),
    "SSLError": Verdict("info", "ssl-error", True),
    "HTTPClientError": Verdict("info", "http-client-error", True),
}

_CONNECT_FAILED = Verdict("fail", "connect-failed", True)
_CONNECTION_ERROR = Verdict("info", "connection-error", True)


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
        return Verdict("info", "transaction-cancelled-unknown")
    for code in _REASON_ORDER:
        if code in codes:
            return CANCELLATION_REASONS[code]
    raise AssertionError("unreachable")  # pragma: no cover


class AfterMaybeApplied(Exception):
    """A retried request whose last attempt certainly failed, while an earlier attempt may have
    applied (its reply was lost, or it timed out): the request's outcome is unknown. Without
    this, a transaction whose first attempt committed and whose retry was throttled was
    recorded ``fail`` -- and its effects read back as a phantom."""

    def __init__(self, cause: Exception, earlier: str) -> None:
        super().__init__(f"{cause} (after an earlier attempt ended {earlier})")
        self.cause, self.earlier = cause, earlier


def classify(e: BaseException) -> Verdict:
    """The verdict for an exception raised by an aiobotocore DynamoDB call."""
    if isinstance(e, AfterMaybeApplied):
        return Verdict("info", after(classify(e.cause).kind, e.earlier))
    response = getattr(e, "response", None)
    if isinstance(response, dict) and "Error" in response:
        code = str(response["Error"].get("Code", ""))
        if code == "TransactionCanceledException":
            return classify_cancellation(response.get("CancellationReasons"))
        if code in ERROR_CODES:
            return ERROR_CODES[code]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500:
            return Verdict("info", f"server-error-{status}", True)
        return Verdict("info", f"unknown-error:{code or status}")
    for cls in type(e).__mro__:  # by name, so subclasses (aiobotocore's too) are covered
        if cls.__name__ == "EndpointConnectionError":
            return _CONNECT_FAILED if _connect_never_made(e) else _CONNECTION_ERROR
        if cls.__name__ in TRANSPORT_ERRORS:
            return TRANSPORT_ERRORS[cls.__name__]
    if isinstance(e, (TimeoutError, asyncio.TimeoutError)):
        return Verdict("info", "timeout", True)
    if isinstance(e, ConnectionRefusedError):
        return _CONNECT_FAILED
    if isinstance(e, OSError):
        return _CONNECTION_ERROR
    return Verdict("info", f"unexpected:{type(e).__name__}")
