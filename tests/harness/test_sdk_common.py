"""The bank's read-modify-write control shared by the SDK stores (isolde.harness.stores._sdk)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from isolde.harness.stores._sdk import Partial, read_only, transfer_rmw
from isolde.histories import Op


def transfer(balances: dict[Any, Any], amount: int, fail_get: bool = False,
             fail_put_to: bool = False) -> Op:
    async def get(k: Any) -> Any:
        if fail_get:
            raise ConnectionResetError("boom")
        return balances.get(k)

    async def put(k: Any, v: Any) -> None:
        if fail_put_to and k == "b":
            raise TimeoutError("late")
        balances[k] = v

    op = Op(0, 0, "invoke", 0, "transfer", {"from": "a", "to": "b", "amount": amount}, None, {})
    return asyncio.run(transfer_rmw(op, get, put, lambda e: type(e).__name__))


def test_transfer_moves_money() -> None:
    balances = {"a": 10, "b": 0}
    assert transfer(balances, 4).type == "ok"
    assert balances == {"a": 6, "b": 4}


@pytest.mark.parametrize(("balances", "amount", "error"), [
    ({"a": 1, "b": 0}, 4, "insufficient-funds"), ({"a": 10}, 4, "missing-account")])
def test_refused_transfers_change_nothing(balances: dict[str, int], amount: int,
                                          error: str) -> None:
    before = dict(balances)
    done = transfer(balances, amount)
    assert (done.type, done.error) == ("fail", error)
    assert balances == before


def test_a_failed_read_is_fail_and_a_failed_second_write_is_partial() -> None:
    done = transfer({"a": 10, "b": 0}, 4, fail_get=True)
    assert (done.type, done.error) == ("fail", "ConnectionResetError")
    balances = {"a": 10, "b": 0}
    with pytest.raises(Partial):
        transfer(balances, 4, fail_put_to=True)
    assert balances == {"a": 6, "b": 0}  # the first write applied


def test_read_only() -> None:
    def op(f: str, v: Any) -> Op:
        return Op(0, 0, "invoke", 0, f, v, None, {})

    assert read_only(op("read", [1, None]))
    assert read_only(op("txn", [["r", 1, None], ["r", 2, None]]))
    assert not read_only(op("txn", [["r", 1, None], ["append", 2, 1]]))
    assert not read_only(op("write", [1, 1]))
