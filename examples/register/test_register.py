"""Does the app's compare-and-set hold under concurrent writers? isolde's register workload
runs the app's own read(), write() and compare_and_set() against DynamoDB Local, reads every
key at the end, and checks the history is linearizable.

    pytest examples/register                           # the fixed app: passes
    ISOLDE_EXAMPLE_APP=buggy pytest examples/register  # the buggy app: fails, with the anomalies
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from aiobotocore.session import get_session
from register_app import APPS, CREDENTIALS


@pytest.fixture(scope="session")
def register_table(dynamodb_local: Any) -> str:
    async def create() -> None:
        async with get_session().create_client("dynamodb", endpoint_url=dynamodb_local.url,
                                               **CREDENTIALS) as c:
            await c.create_table(
                TableName="registers", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}])

    asyncio.run(create())
    return "registers"


def test_compare_and_set_is_linearizable(isolde_run: Callable[..., Any], dynamodb_local: Any,
                                         register_table: str) -> None:
    app = APPS[os.environ.get("ISOLDE_EXAMPLE_APP", "fixed")]
    result = isolde_run(
        workload="register", time_limit=5,
        app=lambda: app.connect(dynamodb_local.url, register_table),
        args=["--keys", "2", "--concurrency", "8"])
    result.assert_valid()  # on failure: the anomalies explained, and the report's path
