"""A tiny versioned-value store on DynamoDB: items ``{"id": K, "value": V}``, with the
compare-and-set many apps build their "put if newer" / optimistic locking on.

``BuggyRegister.compare_and_set`` checks on the client: it reads the item, compares, then puts
without a condition. Two writers that read the same value both succeed, and the first write is
silently lost (neither is refused). ``FixedRegister.compare_and_set`` lets DynamoDB compare: a
PutItem whose ConditionExpression requires the expected value, refused otherwise
(:class:`isolde.plugin.Refused`: a failed condition changed nothing).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from isolde.plugin import Refused

CREDENTIALS = {"aws_access_key_id": "example", "aws_secret_access_key": "example",
               "region_name": "us-east-1"}


class BuggyRegister:
    def __init__(self, client: Any, table: str) -> None:
        self.client, self.table = client, table
        self._stack: AsyncExitStack | None = None

    @classmethod
    async def connect(cls, url: str, table: str) -> Any:
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            get_session().create_client("dynamodb", endpoint_url=url, **CREDENTIALS))
        app = cls(client, table)
        app._stack = stack
        return app

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()

    def _item(self, key: int, value: int) -> dict[str, Any]:
        return {"id": {"N": str(key)}, "value": {"N": str(value)}}

    async def read(self, key: int) -> int | None:
        r = await self.client.get_item(TableName=self.table, Key={"id": {"N": str(key)}},
                                       ConsistentRead=True)
        item = r.get("Item")
        return int(item["value"]["N"]) if item else None

    async def write(self, key: int, value: int) -> None:
        await self.client.put_item(TableName=self.table, Item=self._item(key, value))

    async def compare_and_set(self, key: int, expected: int | None, new: int) -> None:
        if await self.read(key) != expected:
            raise Refused("precondition-failed")
        await self.write(key, new)  # another writer may have put a value since the read


class FixedRegister(BuggyRegister):
    async def compare_and_set(self, key: int, expected: int | None, new: int) -> None:
        cond: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(id)"} if expected is None else
            {"ConditionExpression": "#v = :old", "ExpressionAttributeNames": {"#v": "value"},
             "ExpressionAttributeValues": {":old": {"N": str(expected)}}})
        try:
            await self.client.put_item(TableName=self.table, Item=self._item(key, new), **cond)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Refused("precondition-failed") from None  # nothing was written
            raise  # anything else may have been applied: the op is info


APPS = {"buggy": BuggyRegister, "fixed": FixedRegister}
