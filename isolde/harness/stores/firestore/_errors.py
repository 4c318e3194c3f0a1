"""The error taxonomy: every exception a Firestore op can end in -> ``fail`` or ``info``.

``fail``: Firestore certainly did not apply the request (it refused it, or it never left this
machine); ``info``: it may have. When in doubt, ``info``. A read changes nothing, so the client
makes every failed read ``fail`` whatever its verdict here. Row by row in docs/firestore-errors.md,
with a test per row (tests/harness/firestore/test_errors.py).
"""

from __future__ import annotations

import asyncio

from ..dynamodb import Verdict

# google.api_core's exceptions (one per gRPC status), by class name so that subclasses are
# covered and google-api-core is imported only by the store that needs it.
STATUS: dict[str, Verdict] = {
    # A transaction lost a conflict (the emulator: "Transaction lock timeout" after ~2 s of
    # waiting on a lock): its commit did not apply.
    "Aborted": Verdict("fail", "aborted", True),
    # A precondition (``last_update_time``, ``exists``) did not hold: nothing written. The
    # evidence a compare-and-set relies on.
    "FailedPrecondition": Verdict("fail", "precondition-failed"),
    "AlreadyExists": Verdict("fail", "precondition-failed"),
    "NotFound": Verdict("fail", "not-found"),
    "InvalidArgument": Verdict("fail", "invalid-argument"),
    "OutOfRange": Verdict("fail", "invalid-argument"),
    "PermissionDenied": Verdict("fail", "permission-denied"),
    "Unauthenticated": Verdict("fail", "unauthenticated"),
    "Unauthorized": Verdict("fail", "unauthenticated"),
    "Forbidden": Verdict("fail", "permission-denied"),
    "MethodNotImplemented": Verdict("fail", "unsupported-operation"),
    # Quota or rate limit: refused before anything was applied.
    "TooManyRequests": Verdict("fail", "resource-exhausted", True),
    "ResourceExhausted": Verdict("fail", "resource-exhausted", True),
    # Sent, no answer: it may have applied.
    "DeadlineExceeded": Verdict("info", "timeout", True),
    "GatewayTimeout": Verdict("info", "timeout", True),
    "ServiceUnavailable": Verdict("info", "unavailable", True),
    "Cancelled": Verdict("info", "cancelled", True),
    "InternalServerError": Verdict("info", "internal", True),
    "Unknown": Verdict("info", "unknown", True),
    "DataLoss": Verdict("info", "data-loss"),
}


# gRPC's words for an RPC it failed without sending it: the channel had no connection (the
# server refused it, e.g. a killed emulator) and the call was not waiting for one.
NEVER_SENT = "failed to connect to all addresses"
_CONNECT_FAILED = Verdict("fail", "connect-failed", True)
# A commit of a transaction that is already over. google-api-core retries a transaction's commit
# after UNAVAILABLE (or RESOURCE_EXHAUSTED) with the same transaction id, and the SDK offers no way
# to turn that off: when the first commit applied and only its reply was lost, the retry ends in
# this. Measured on the emulator: the transaction's writes were there. So it may have applied.
TXN_CLOSED = "Transaction is invalid or closed"
_TXN_CLOSED = Verdict("info", "transaction-closed")


def classify(e: BaseException) -> Verdict:
    """The verdict for an exception raised by a google-cloud-firestore call."""
    if type(e).__name__ == "ServiceUnavailable" and NEVER_SENT in str(e):
        return _CONNECT_FAILED
    if type(e).__name__ == "InvalidArgument" and TXN_CLOSED in str(e):
        return _TXN_CLOSED
    for cls in type(e).__mro__:
        if cls.__name__ in STATUS:
            return STATUS[cls.__name__]
        if cls.__name__ == "RetryError":  # google-api-core gave up: judge the last error
            cause = getattr(e, "cause", None)
            return classify(cause) if cause is not None else Verdict("info", "retry-error")
    if isinstance(e, (TimeoutError, asyncio.TimeoutError)):  # client-side timeout, cancel
        return Verdict("info", "timeout", True)
    if isinstance(e, ConnectionRefusedError):
        return _CONNECT_FAILED
    if isinstance(e, OSError):
        return Verdict("info", "connection-error", True)
    return Verdict("info", f"unexpected:{type(e).__name__}")
