"""Client-path faults on DynamoDB's SDK: botocore's ``before-send`` event consults the nemesis's
switches (:class:`isolde.harness.ClientFaults`) and answers a throttled request itself, unsent,
with ``ProvisionedThroughputExceededException`` (HTTP 400), as DynamoDB would."""

from __future__ import annotations

from typing import Any

import orjson

from ..._client_faults import ClientFaults

THROTTLE_CODE = "ProvisionedThroughputExceededException"


class _Raw:
    """The body of an injected response, as aiobotocore reads it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self) -> bytes:
        return self.body


def new_client_faults(seed: int) -> ClientFaults:
    return ClientFaults(seed, throttle_error=THROTTLE_CODE)


def attach(faults: ClientFaults, client: Any) -> None:
    """Register the ``before-send`` hook on an aiobotocore (or botocore) client."""

    def before_send(request: Any = None, **kwargs: Any) -> Any:
        if faults.on_send():
            return _throttle_response(request.url if request is not None else "")
        return None

    client.meta.events.register_first("before-send.*.*", before_send)


def _throttle_response(url: str) -> Any:
    from aiobotocore.awsrequest import AioAWSResponse

    body = orjson.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{THROTTLE_CODE}",
                         "message": "The level of configured provisioned throughput for the "
                                    "table was exceeded (injected by the isolde nemesis)"})
    headers = {"x-amzn-RequestId": "isolde-nemesis", "Content-Type":
               "application/x-amz-json-1.0", "Content-Length": str(len(body))}
    return AioAWSResponse(url, 400, headers, _Raw(body))
