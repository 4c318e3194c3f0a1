"""A tiny bank on DynamoDB: accounts are items ``{"id": N, "balance": B}``.

``BuggyBank.transfer`` is a read-modify-write without a condition: it reads both balances,
then writes both back. Two transfers touching the same account at once both read the old
balance, and the second write wipes out the first: money appears or disappears.
``FixedBank.transfer`` moves the money in one TransactWriteItems whose conditions refuse an
overdraft; a cancelled transaction changed nothing, so it is :class:`isolde.plugin.Refused`.
Both read every account in one TransactGetItems (a snapshot).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from isolde.plugin import Refused

CREDENTIALS = {"aws_access_key_id": "example", "aws_secret_access_key": "example",
               "region_name": "us-east-1"}


class BuggyBank:
    def __init__(self, client: Any, table: str, accounts: list[int]) -> None:
        self.client, self.table, self.accounts = client, table, accounts
        self._stack: AsyncExitStack | None = None

    @classmethod
    async def connect(cls, url: str, table: str, accounts: list[int]) -> Any:
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            get_session().create_client("dynamodb", endpoint_url=url, **CREDENTIALS))
        bank = cls(client, table, accounts)
        bank._stack = stack
        return bank

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()

    def _key(self, account: int) -> dict[str, Any]:
        return {"id": {"N": str(account)}}

    async def init(self, balances: dict[int, int]) -> None:
        for account, balance in balances.items():
            await self.client.put_item(TableName=self.table, Item={
                **self._key(account), "balance": {"N": str(balance)}})

    async def _balance(self, account: int) -> int:
        r = await self.client.get_item(TableName=self.table, Key=self._key(account),
                                       ConsistentRead=True)
        return int(r["Item"]["balance"]["N"])

    async def transfer(self, src: int, dst: int, amount: int) -> None:
        a, b = await self._balance(src), await self._balance(dst)
        if a < amount:
            raise Refused("insufficient-funds")
        for account, balance in ((src, a - amount), (dst, b + amount)):
            await self.client.put_item(TableName=self.table, Item={
                **self._key(account), "balance": {"N": str(balance)}})

    async def read_all(self) -> dict[int, int]:
        r = await self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.table, "Key": self._key(a)}} for a in self.accounts])
        return {int(i["Item"]["id"]["N"]): int(i["Item"]["balance"]["N"])
                for i in r["Responses"] if i.get("Item")}


class FixedBank(BuggyBank):
    async def transfer(self, src: int, dst: int, amount: int) -> None:
        n = {":n": {"N": str(amount)}}
        try:
            await self.client.transact_write_items(TransactItems=[
                {"Update": {"TableName": self.table, "Key": self._key(src),
                            "UpdateExpression": "SET balance = balance - :n",
                            "ConditionExpression": "balance >= :n",
                            "ExpressionAttributeValues": n}},
                {"Update": {"TableName": self.table, "Key": self._key(dst),
                            "UpdateExpression": "SET balance = balance + :n",
                            "ExpressionAttributeValues": n}},
            ])
        except ClientError as e:
            if e.response["Error"]["Code"] == "TransactionCanceledException":
                raise Refused("cancelled") from None  # nothing of it was applied
            raise  # anything else may have been applied: the op is info


APPS = {"buggy": BuggyBank, "fixed": FixedBank}
