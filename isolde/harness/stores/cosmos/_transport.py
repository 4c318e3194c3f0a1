"""The bottom of azure-core's pipeline for the Cosmos DB stores: the HTTP transport isolde gives
the SDK. Every request the SDK sends, its retries included, passes through it, so it is where

- the nemesis's client-path faults act (:class:`isolde.harness.ClientFaults`) on document
  requests: a throttled request is answered here, unsent, with a 429 and a
  ``x-ms-retry-after-ms`` header, as the service answers one; the SDK's throttle retry policy
  then backs off and resends it;
- the cloud audit counts requests and sums the RU charge of each response;
- an op's 429 answers are counted (``THROTTLED``), to record its retries on it.

The SDK's own per-call policies cannot answer a request themselves, and its client takes no
extra policy; the transport is its public hook that can. It works against the real service too.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

from ..._client_faults import ClientFaults

if TYPE_CHECKING:  # _cost imports _client, which imports this module
    from ._cost import Usage

# The 429 answers of the op in progress (a list, so a task started for the op shares it).
THROTTLED: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "isolde_cosmos_throttled", default=None)
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
            if faults is not None and _on_documents(request) and faults.on_send():
                response = _throttled(request)
            else:
                response = await super().send(request, **kwargs)
            _count(response, usage)
            return response

    return IsoldeTransport()


def _on_documents(request: Any) -> bool:
    """Whether the request reads or writes documents: what an op asks of the container's
    throughput, and what the faults act on. The SDK's metadata reads (the account, the
    container's properties) draw on another budget, and it treats their failures apart."""
    return "/docs" in str(request.url)


def _count(response: Any, usage: Usage | None) -> None:
    status = int(response.status_code)
    if usage is not None:
        usage.add(status, float(response.headers.get("x-ms-request-charge") or 0.0))
    throttled = THROTTLED.get()
    if status == 429 and throttled is not None:
        throttled[0] += 1


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
