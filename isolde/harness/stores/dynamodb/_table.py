"""The run's table: named ``isolde-...``, created on demand (pay per request) by isolde itself,
deleted by isolde itself. A name without the prefix is refused, on create and on delete alike,
so isolde can never touch a table it does not own."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ...._errors import UsageError
from ._api import Api
from ._codec import KEY

PREFIX = "isolde-"


def check_table_name(name: str) -> str:
    if not name.startswith(PREFIX):
        raise UsageError(
            f"refusing table {name!r}: isolde only creates and deletes tables named {PREFIX}*"
        )
    return name


def new_table_name() -> str:
    """``isolde-<run id>``: a UTC timestamp and a random suffix (unique across concurrent runs)."""
    return f"{PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


# The table's change stream, when a run reads it: each record carries the item's new image.
STREAM_SPEC = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


async def create_table(api: Api, name: str, timeout: float = 300.0,
                       created: Callable[[], None] = lambda: None, stream: bool = False) -> None:
    """Create the table (with a change stream when ``stream``) and wait until it is ACTIVE; an
    existing table is refused, not reused.

    ``created`` is called the moment CreateTable succeeded: from then on (and only then) the
    table is the caller's to delete -- a table that was already there never is."""
    check_table_name(name)
    extra: dict[str, Any] = {"StreamSpecification": STREAM_SPEC} if stream else {}
    try:
        await api.call(
            "create_table", TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
            Tags=[{"Key": "created-by", "Value": "isolde"}], **extra,
        )
    except Exception as e:
        code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
        if code == "ResourceInUseException":
            raise UsageError(f"table {name!r} already exists: isolde only uses tables it "
                             "creates (pick another --table, or omit it)") from None
        raise
    created()
    deadline = time.monotonic() + timeout
    while True:
        r = await api.call("describe_table", idempotent=True, TableName=name)
        if r["Table"]["TableStatus"] == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} not ACTIVE after {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def delete_table(api: Api, name: str) -> bool:
    """Delete the table (True), or False when it was already gone."""
    check_table_name(name)
    try:
        await api.call("delete_table", TableName=name)
    except Exception as e:
        code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return False
        raise
    return True


async def list_tables(api: Api) -> list[str]:
    names: list[str] = []
    params: dict[str, str] = {}
    while True:
        r = await api.call("list_tables", idempotent=True, **params)
        names.extend(r.get("TableNames", []))
        if "LastEvaluatedTableName" not in r:
            return names
        params = {"ExclusiveStartTableName": r["LastEvaluatedTableName"]}
