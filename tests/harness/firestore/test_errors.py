"""The error taxonomy, row by row (docs/firestore-errors.md), with google-api-core's own
exceptions; then the client's completions: reads always fail, a refused CAS fails, a retried
transaction records its attempts."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gx

from isolde.harness import CancelledAfterSend, ClientTimeout
from isolde.harness.stores.firestore import STATUS, classify

# Expected verdicts, written out independently of the module's table.
ROWS = [
    (gx.Aborted("Transaction lock timeout"), "fail", "aborted"),
    (gx.FailedPrecondition("the stored version does not match"), "fail", "precondition-failed"),
    (gx.AlreadyExists("Document already exists"), "fail", "precondition-failed"),
    (gx.NotFound("No document to update"), "fail", "not-found"),
    (gx.InvalidArgument("bad"), "fail", "invalid-argument"),
    (gx.InvalidArgument("Transaction is invalid or closed."), "info", "transaction-closed"),
    (gx.OutOfRange("bad"), "fail", "invalid-argument"),
    (gx.PermissionDenied("no"), "fail", "permission-denied"),
    (gx.Forbidden("no"), "fail", "permission-denied"),
    (gx.Unauthenticated("who"), "fail", "unauthenticated"),
    (gx.Unauthorized("who"), "fail", "unauthenticated"),
    (gx.MethodNotImplemented("no"), "fail", "unsupported-operation"),
    (gx.ResourceExhausted("quota"), "fail", "resource-exhausted"),
    (gx.TooManyRequests("slow down"), "fail", "resource-exhausted"),
    (gx.DeadlineExceeded("late"), "info", "timeout"),
    (gx.GatewayTimeout("late"), "info", "timeout"),
    (gx.ServiceUnavailable("down"), "info", "unavailable"),
    (gx.ServiceUnavailable("failed to connect to all addresses; last error: UNKNOWN: "
                           "ipv4:127.0.0.1:43475: Failed to connect to remote host: Connection "
                           "refused"), "fail", "connect-failed"),
    (gx.Cancelled("cancelled"), "info", "cancelled"),
    (gx.InternalServerError("oops"), "info", "internal"),
    (gx.Unknown("?"), "info", "unknown"),
    (gx.DataLoss("gone"), "info", "data-loss"),
    (gx.RetryError("gave up", gx.Aborted("x")), "fail", "aborted"),
    (gx.RetryError("gave up", gx.DeadlineExceeded("x")), "info", "timeout"),
    (ClientTimeout("injected"), "info", "timeout"),
    (CancelledAfterSend("injected"), "info", "timeout"),
    (TimeoutError(), "info", "timeout"),
    (ConnectionRefusedError(), "fail", "connect-failed"),
    (ConnectionResetError(), "info", "connection-error"),
    (RuntimeError("?"), "info", "unexpected:RuntimeError"),
]


@pytest.mark.parametrize(("exc", "typ", "kind"), ROWS, ids=lambda x: f"{type(x).__name__}"
                         f":{str(x)[:12]}" if isinstance(x, BaseException) else str(x))
def test_row(exc: BaseException, typ: str, kind: str) -> None:
    v = classify(exc)
    assert (v.type, v.kind) == (typ, kind)


def test_every_status_row_is_tested() -> None:
    tested = {type(e).__name__ for e, _, _ in ROWS}
    assert set(STATUS) <= tested


def test_every_row_is_documented() -> None:
    from ...conftest import ROOT

    doc = (ROOT / "docs" / "firestore-errors.md").read_text()
    for name in STATUS:
        assert f"`{name}`" in doc, name
