"""A retried request's attempts: whether an earlier one may have applied.

A store client retries a request after an error that is transient. When an attempt may have
applied (its reply was lost, it timed out, the service answered 5xx) and a later one then ends in
an error that by itself means "certainly not applied" (throttled, a failed condition -- which the
earlier attempt's own write may have caused), the request's outcome is still unknown: its op is
``info``, with the kind ``<last error>-after-<earlier error>``. Recording it ``fail`` would make
a checker see an applied write as a phantom.

DynamoDB's retries are isolde's own (``dynamodb._api.Api.call``); Cosmos DB's are the SDK's,
seen attempt by attempt in its transport (``cosmos._transport``).
"""

from __future__ import annotations


def after(kind: str, earlier: str) -> str:
    """The error kind of a request whose last attempt ended in ``kind`` after an earlier attempt
    that may have applied ended in ``earlier``."""
    return f"{kind}-after-{earlier}"


class Attempts:
    """The attempts of one request (or of one op's write requests), as they end in errors."""

    def __init__(self) -> None:
        self.maybe_applied: str | None = None  # the first attempt's kind that may have applied

    def ended(self, outcome: str, kind: str) -> None:
        """An attempt ended in an error classified ``outcome`` (``info``: it may have applied)."""
        if outcome == "info" and self.maybe_applied is None:
            self.maybe_applied = kind

    def ambiguous(self, outcome: str) -> str | None:
        """When a request ending ``outcome`` (``ok``, ``fail``, ``info``) has an unknown effect
        all the same (it certainly failed, but an earlier attempt may have applied): the earlier
        attempt's kind."""
        return self.maybe_applied if outcome == "fail" else None
