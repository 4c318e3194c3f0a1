"""The bottom of azure-core's pipeline for the Cosmos DB stores: the HTTP transport isolde gives
the SDK. Every request the SDK sends, its retries included, passes through it, so it is where

- the nemesis's client-path faults act (:class:`isolde.harness.ClientFaults`) on document
  requests: a throttled request is answered here, unsent, with a 429 and a
  ``x-ms-retry-after-ms`` header, as the service answers one; the SDK's throttle retry policy
  then backs off and resends it;
- the cloud audit counts requests and sums the RU charge of each response;
- an op's 429 answers are counted (``SENT``), to record its retries on it;
- how each attempt of an op's write requests ended is noted (``SENT``): the SDK resends a write
  after a 503 when endpoint discovery is on (``--preferred-locations``), and when that first
  attempt may have applied, a resend refused (a 412 -- by the first attempt's own write -- or a
  429) leaves the op's outcome unknown, not failed (:mod:`.._attempts`).

The SDK's own per-call policies cannot answer a request themselves, and its client takes no
extra policy; the transport is its public hook that can. It works against the real service too.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..._client_faults import ClientFaults
from .._attempts import Attempts
from ._errors import classify, classify_status

if TYPE_CHECKING:  # _cost imports _client, which imports this module
    from ._cost import Usage


@dataclass
class Sent:
    """What the transport saw of the requests of the op in progress (one object, so a task
    started for the op shares it)."""

    throttled: int = 0  # its 429 answers
    writes: Attempts = field(default_factory=Attempts)  # how its write attempts ended


SENT: contextvars.ContextVar[Sent | None] = contextvars.ContextVar("isolde_cosmos_sent",
                                                                   default=None)
RETRY_AFTER_MS = 20  # what an injected 429 asks the SDK to wait
_THROTTLE_BODY = (b'{"code":"TooManyRequests","message":"Request rate is large (injected by the '
                  b'isolde nemesis)"}')


def transport(usage: Usage | None = None, faults: ClientFaults | None = None) -> Any:
    """azure-core's aiohttp transport, metered and faultable, that never resends a request
    itself: aiohttp resends a PUT (a Cosmos replace, our CAS) once when the connection closes
    before the reply, and a CAS whose first copy applied then fails its copy with a 412 -- an
    applied write recorded as ``fail``. aiohttp has no public switch for it, hence the
    attribute."""
    from azure.core.pipeline.transport import AioHttpTransport

    class IsoldeTransport(AioHttpTransport):
        async def open(self) -> None:
            await super().open()
            if self.session is not None:
                self.session._retry_connection = False

        async def send(self, request: Any, **kwargs: Any) -> Any:
            sent = SENT.get()
            if faults is not None and _on_documents(request) and faults.on_send():
                response = _throttled(request)
            else:
                try:
                    response = await super().send(request, **kwargs)
                except Exception as e:  # no answer: it may have been applied all the same
                    if sent is not None and _writes(request):
                        sent.writes.ended(*classify(e))
                    raise
            _count(response, usage, sent, _writes(request))
            return response

    return IsoldeTransport()


def _on_documents(request: Any) -> bool:
    """Whether the request reads or writes documents: what an op asks of the container's
    throughput, and what the faults act on. The SDK's metadata reads (the account, the
    container's properties) draw on another budget, and it treats their failures apart."""
    return "/docs" in str(request.url)


def _writes(request: Any) -> bool:
    """Whether the request may change documents: not a read (GET) nor a query (a POST too)."""
    headers = request.headers
    return (request.method not in ("GET", "HEAD") and _on_documents(request)
            and not headers.get("x-ms-documentdb-isquery")
            and not headers.get("x-ms-cosmos-is-query-plan-request"))


def _count(response: Any, usage: Usage | None, sent: Sent | None, writes: bool) -> None:
    status = int(response.status_code)
    if usage is not None:
        usage.add(status, float(response.headers.get("x-ms-request-charge") or 0.0))
    if sent is None:
        return
    if status == 429:
        sent.throttled += 1
    if writes and status >= 400:
        sent.writes.ended(*classify_status(status))


def _throttled(request: Any) -> Any:
    """A 429 as Cosmos DB answers one (Request rate too large, substatus 3200)."""
    from azure.core.pipeline.transport import AsyncHttpResponse
    from azure.core.utils import CaseInsensitiveDict

    class Throttled(AsyncHttpResponse):
        def body(self) -> bytes:
            return _THROTTLE_BODY

        async def load_body(self) -> None:
            return None

    response = Throttled(request, None)
    response.status_code = 429
    response.reason = "Too Many Requests"
    response.content_type = "application/json"
    response.headers = CaseInsensitiveDict({
        "Content-Type": "application/json", "x-ms-retry-after-ms": str(RETRY_AFTER_MS),
        "x-ms-substatus": "3200", "x-ms-request-charge": "0",
        "x-ms-activity-id": "isolde-nemesis"})
    return response
