"""Retry policy, the table-name guard, redaction and cost estimates, without a server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore import exceptions as bx

from isolde._errors import UsageError
from isolde.harness.stores.dynamodb import DynamoOptions, Secrets, Usage, check_table_name
from isolde.harness.stores.dynamodb._api import Api
from isolde.harness.stores.dynamodb._cost import estimate, price, stream_estimate, units
from isolde.harness.stores.dynamodb._errors import AfterMaybeApplied, Verdict, classify
from isolde.harness.stores.dynamodb._ops import Ops
from isolde.harness.stores.dynamodb._table import delete_table, new_table_name
from isolde.harness.stores.dynamodb._txn import Txns


class FakeClient:
    """Answers each call with the next scripted outcome (an exception to raise, or a dict)."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, api: str) -> Any:
        async def call(**params: Any) -> dict[str, Any]:
            self.calls.append((api, params))
            out = self.script.pop(0)
            if isinstance(out, BaseException):
                raise out
            return dict(out)

        return call


def api_with(client: FakeClient, retries: int = 2) -> Api:
    api = Api(DynamoOptions(retries=retries), None, Usage(), Secrets())
    api.client = client
    return api


def throttled() -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                          "PutItem")


def timeout() -> bx.ReadTimeoutError:
    return bx.ReadTimeoutError(endpoint_url="http://127.0.0.1:1")


def test_transactions_resend_the_same_token_after_a_timeout() -> None:
    client = FakeClient(timeout(), {})
    txns = Txns(api_with(client), "isolde-t", 3)
    assert asyncio.run(txns.run([["append", 1, 5], ["append", 2, 6]])) == [
        ["append", 1, 5], ["append", 2, 6]]
    (a1, p1), (a2, p2) = client.calls
    assert a1 == a2 == "transact_write_items"
    assert p1["ClientRequestToken"] == p2["ClientRequestToken"]
    assert p1 == p2


def test_each_transaction_gets_its_own_token() -> None:
    client = FakeClient({}, {})
    txns = Txns(api_with(client), "isolde-t", 3)
    for _ in range(2):
        asyncio.run(txns.run([["append", 1, 5], ["append", 2, 6]]))
    assert client.calls[0][1]["ClientRequestToken"] != client.calls[1][1]["ClientRequestToken"]


def test_a_write_is_not_resent_after_a_timeout() -> None:
    client = FakeClient(timeout(), {})
    with pytest.raises(bx.ReadTimeoutError) as e:
        asyncio.run(Ops(api_with(client), "isolde-t").put(1, 1))
    assert len(client.calls) == 1 and getattr(e.value, "attempts", None) == 1


def test_a_throttled_write_is_retried_and_counted() -> None:
    client = FakeClient(throttled(), throttled(), {})
    api = api_with(client)
    asyncio.run(Ops(api, "isolde-t").put(1, 1))
    assert len(client.calls) == 3
    assert api.usage.requests == {"put_item": 3}


def test_retries_stop_at_the_limit() -> None:
    client = FakeClient(throttled(), throttled(), throttled())
    with pytest.raises(bx.ClientError) as e:
        asyncio.run(Ops(api_with(client, retries=1), "isolde-t").put(1, 1))
    assert len(client.calls) == 2 and getattr(e.value, "attempts", None) == 2


def test_a_retry_throttled_after_a_timeout_leaves_the_outcome_unknown() -> None:
    """The first attempt timed out (it may have committed); its retry, carrying the same token,
    was throttled and never ran. The transaction may have happened: info, not fail -- found as
    phantom outbox records under duplicate + lost-response + throttle on DynamoDB Local."""
    client = FakeClient(timeout(), throttled(), throttled())
    with pytest.raises(AfterMaybeApplied) as e:
        asyncio.run(Txns(api_with(client), "isolde-t", 3).run([["append", 1, 5], ["append", 2, 6]]))
    assert classify(e.value) == Verdict("info", "throttled-after-timeout")
    assert getattr(e.value, "attempts", None) == 3


def test_a_retry_throttled_after_a_throttle_still_certainly_failed() -> None:
    client = FakeClient(throttled(), throttled(), throttled())
    with pytest.raises(bx.ClientError) as e:
        asyncio.run(Txns(api_with(client), "isolde-t", 3).run([["append", 1, 5], ["append", 2, 6]]))
    assert classify(e.value).type == "fail"


def test_read_write_transaction_validates_what_it_read() -> None:
    """OCC: the commit is conditioned on the versions read, and retried from the read when a
    condition fails."""
    conflict = bx.ClientError({"Error": {"Code": "TransactionCanceledException", "Message": ""},
                               "CancellationReasons": [{"Code": "ConditionalCheckFailed"},
                                                       {"Code": "None"}]},
                              "TransactWriteItems")
    snap1 = {"Responses": [{"Item": {"k": {"S": "1"}, "v": {"L": [{"N": "1"}]}, "n": {"N": "1"}}},
                           {}]}
    snap2 = {"Responses": [{"Item": {"k": {"S": "1"}, "v": {"L": [{"N": "1"}, {"N": "2"}]},
                                     "n": {"N": "2"}}}, {}]}
    client = FakeClient(snap1, conflict, snap2, {})
    out = asyncio.run(Txns(api_with(client), "isolde-t", 3).run(
        [["r", 1, None], ["append", 2, 9]]))
    assert out == [["r", 1, [1, 2]], ["append", 2, 9]]  # the second, validated, snapshot
    commit = client.calls[-1][1]["TransactItems"]
    check = next(i["ConditionCheck"] for i in commit if "ConditionCheck" in i)
    assert check["ConditionExpression"] == "#n = :seen"
    assert check["ExpressionAttributeValues"] == {":seen": {"N": "2"}}


def test_table_names_must_carry_the_prefix() -> None:
    assert check_table_name("isolde-x") == "isolde-x"
    assert new_table_name().startswith("isolde-")
    for name in ("orders", "Isolde-x", "isolde", "prod-isolde-x"):
        with pytest.raises(UsageError, match="refusing table"):
            check_table_name(name)
    client = FakeClient({})
    with pytest.raises(UsageError):
        asyncio.run(delete_table(api_with(client), "orders"))
    assert client.calls == []  # refused before any request


def test_redaction() -> None:
    s = Secrets()
    s.add("s3cr3t/value+x", None, "")
    text = "key AKIAABCDEFGHIJKLMNOP and s3cr3t/value+x in a message"
    assert s.redact(text) == "key *** and *** in a message"


def test_units_and_cost() -> None:
    assert units("get_item", {"ConsistentRead": True}) == (0.0, 1.0)
    assert units("get_item", {"ConsistentRead": False}) == (0.0, 0.5)
    assert units("put_item", {}) == (1.0, 0.0)
    assert units("transact_write_items", {"TransactItems": [1, 2, 3]}) == (6.0, 0.0)
    assert units("transact_get_items", {"TransactItems": [1, 2]}) == (0.0, 4.0)
    assert units("create_table", {}) == (0.0, 0.0)
    u = Usage()
    u.add("put_item", 1_000_000, 0)
    u.add("get_item", 0, 1_000_000)
    assert u.total_requests == 2
    assert u.cost("us-east-1") == pytest.approx(0.625 + 0.125)
    assert price("xx-unknown-1") >= price("us-east-1")  # unknown regions err high
    requests, cost = estimate("register", 1000, 3, "us-east-1")
    assert requests >= 3000 and cost > 0
    assert estimate("register", 2000, 3, "us-east-1")[1] == pytest.approx(2 * cost)


def test_a_streams_reads_are_priced_per_getrecords() -> None:
    u = Usage()
    for _ in range(100_000):
        u.add("get_records")  # no request units: the stream bills per call
    u.add("describe_stream")  # free
    assert u.cost("us-east-1") == pytest.approx(0.02)
    assert u.cost("xx-unknown-1") > u.cost("us-east-1")  # unknown regions err high
    per_min, usd_min, busy = stream_estimate(300, "us-east-1", 50.0)
    assert per_min == 3000
    assert usd_min == pytest.approx(3000 * 0.02 / 1e5)
    assert busy == pytest.approx(300 * 0.02 / 1e5)
