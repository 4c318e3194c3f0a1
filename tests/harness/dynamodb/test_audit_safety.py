"""The cloud audit never deletes what it found: a pre-existing ``isolde-*`` table, with data in
it, survives every way a run can end (refused, finished, Ctrl-C, SIGTERM, SIGHUP, kill -9), and a
table name without the prefix is refused before any request (issue 10 section 1). Against DynamoDB
Local through ``--endpoint-url``, as a user pointing isolde at an endpoint would run it."""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from isolde.harness.stores.dynamodb import DynamoOptions
from isolde.harness.stores.dynamodb._api import Api, Secrets
from isolde.harness.stores.dynamodb._cost import Usage
from isolde.harness.stores.dynamodb._table import create_table, delete_table

from .test_cli import audit, aws_env, isolde, signal_audit, tables


async def _admin(url: str) -> Api:
    # Patient timeouts (admin): the test's own setup is not under test, and DynamoDB Local on a
    # loaded machine can take longer than a worker's read timeout to answer.
    api = Api(DynamoOptions(dummy_credentials=True), url, Usage(), Secrets(), admin=True)
    await api.open()
    return api


def _precious_items(url: str, name: str) -> list[dict[str, object]]:
    async def go() -> list[dict[str, object]]:
        api = await _admin(url)
        try:
            return list((await api.call("scan", idempotent=True, TableName=name))["Items"])
        finally:
            await api.close()

    return asyncio.run(go())


@pytest.fixture
def precious(dynamodb_local_url: str) -> Iterator[str]:
    """A user's own ``isolde-*`` table with an item in it (deleted by the test, not by isolde)."""
    name = f"isolde-precious-{secrets.token_hex(3)}"

    async def make() -> None:
        api = await _admin(dynamodb_local_url)
        try:
            await create_table(api, name)
            await api.call("put_item", TableName=name,
                           Item={"k": {"S": "a"}, "v": {"S": "precious"}})
        finally:
            await api.close()

    asyncio.run(make())
    try:
        yield name
    finally:
        asyncio.run(_drop(dynamodb_local_url, name))


def _survives(url: str, name: str) -> None:
    assert name in tables(url), f"{name} was deleted"
    items = _precious_items(url, name)
    assert [i["v"] for i in items] == [{"S": "precious"}]


def test_existing_table_is_refused_and_survives(dynamodb_local_url: str, precious: str,
                                                tmp_path: Path) -> None:
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--yes", "--max-ops", "50",
                      "--table", precious), env=aws_env())
    assert p.returncode == 254, p.stdout + p.stderr
    assert "already exists" in p.stderr
    assert "delete_table" not in p.stdout  # it did not even try
    _survives(dynamodb_local_url, precious)


def test_a_finished_run_deletes_only_its_own_table(dynamodb_local_url: str, precious: str,
                                                   tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--yes", "--max-ops", "30"), env=aws_env())
    assert p.returncode == 0, p.stdout + p.stderr
    assert tables(dynamodb_local_url) == before
    _survives(dynamodb_local_url, precious)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["INT", "TERM", "HUP", "KILL"])
def test_a_run_cut_short_leaves_the_existing_table(dynamodb_local_url: str, precious: str,
                                                   tmp_path: Path, sig: signal.Signals) -> None:
    before = tables(dynamodb_local_url)
    p = signal_audit(dynamodb_local_url, tmp_path, sig)
    assert "Traceback" not in p.stderr
    _survives(dynamodb_local_url, precious)
    if sig == signal.SIGKILL:  # nothing could run: its own table is left, named isolde-<run id>
        for name in tables(dynamodb_local_url) - before:
            asyncio.run(_drop(dynamodb_local_url, name))
    else:  # handled like Ctrl-C: its own table deleted, the run checked, the signal's code
        assert tables(dynamodb_local_url) == before, p.stderr
        assert p.returncode == 128 + sig, p.stderr
        assert "cloud audit:" in p.stdout and f"interrupted by {sig.name}" in p.stdout


async def _drop(url: str, name: str) -> None:
    api = await _admin(url)
    try:
        await delete_table(api, name)
    finally:
        await api.close()


def test_foreign_name_is_refused_before_any_request(dynamodb_local_url: str,
                                                    tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--yes", "--table", "orders"),
               env=aws_env())
    assert p.returncode == 254
    assert p.stderr.strip().splitlines() == [
        "isolde: error: refusing table 'orders': isolde only creates and deletes tables named "
        "isolde-*"]
    assert "cloud audit" not in p.stdout  # no plan, no request summary: nothing was sent
    assert tables(dynamodb_local_url) == before
    assert not (tmp_path / "store").exists()
