"""Does the bank keep its money under concurrent transfers? isolde's bank workload runs the
app's own transfer() and read_all() against DynamoDB Local and checks every read's total.

    pytest examples/bank                           # the fixed app: passes
    ISOLDE_EXAMPLE_APP=buggy pytest examples/bank  # the buggy app: fails, with the anomalies
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from aiobotocore.session import get_session
from app import APPS, CREDENTIALS

ACCOUNTS = list(range(5))


@pytest.fixture(scope="session")
def bank_table(dynamodb_local: Any) -> str:
    async def create() -> None:
        async with get_session().create_client("dynamodb", endpoint_url=dynamodb_local.url,
                                               **CREDENTIALS) as c:
            await c.create_table(
                TableName="bank", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}])

    asyncio.run(create())
    return "bank"


def test_transfers_keep_the_total(isolde_run: Callable[..., Any], dynamodb_local: Any,
                                  bank_table: str) -> None:
    bank = APPS[os.environ.get("ISOLDE_EXAMPLE_APP", "fixed")]
    result = isolde_run(
        workload="bank", time_limit=5,
        app=lambda: bank.connect(dynamodb_local.url, bank_table, ACCOUNTS),
        args=["--accounts", str(len(ACCOUNTS)), "--total", "100", "--concurrency", "8"])
    result.assert_valid()  # on failure: the anomalies explained, and the report's path
