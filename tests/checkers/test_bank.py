"""The bank checker on hand-written histories, and the bank workload on the memory store."""

from __future__ import annotations

import pytest

from isolde.checkers import CheckConfig, make_checker
from isolde.histories import History, Op

from ..harness.test_txn_isolation import run


def history(*reads: dict, init: dict | None = None) -> History:
    ops = []
    if init is not None:
        ops += [Op(0, 0, "invoke", 0, "init", init), Op(0, 0, "ok", 0, "init", init)]
    for r in reads:
        ops += [Op(0, 0, "invoke", 1, "read", dict.fromkeys(r)), Op(0, 0, "ok", 1, "read", r)]
    ops += [Op(0, 0, "invoke", 2, "transfer", {"from": 0, "to": 1, "amount": 2}),
            Op(0, 0, "ok", 2, "transfer", {"from": 0, "to": 1, "amount": 2})]
    return History(op.with_(index=i, time=i * 10**6) for i, op in enumerate(ops))


def check(h: History, **options: object):
    return make_checker("bank", CheckConfig(options=dict(options))).check(h)


INIT = {0: 5, 1: 5}


@pytest.mark.parametrize(("anomaly", "bad", "good"), [
    ("wrong-total", {0: 3, 1: 5}, {0: 3, 1: 7}),
    ("negative-value", {0: -1, 1: 11}, {0: 0, 1: 10}),
    ("missing-account", {0: 10}, {0: 10, 1: 0}),
])
def test_each_anomaly_and_its_absence(anomaly: str, bad: dict, good: dict) -> None:
    r = check(history(good, bad, init=INIT))
    assert r.valid is False and r.anomaly_types == [anomaly]
    assert r.anomalies[0].ops == (5,) and r.anomalies[0].explanation
    ok = check(history(good, init=INIT))
    assert ok.valid is True and ok.anomalies == []
    assert ok.data["total"] == 10 and ok.data["total_source"] == "init"


def test_total_over_time_and_sources() -> None:
    r = check(history({0: 4, 1: 6}, {"0": 1, "1": 9}), total=10, accounts=[0, 1])
    assert r.valid is True and r.data["total_source"] == "options"
    assert [t for _, t in r.data["totals"]] == [10, 10]
    assert r.data["totals"][0][0] < r.data["totals"][1][0]
    first = check(history({0: 4, 1: 6}, {0: 4, 1: 7}))
    assert first.data["total_source"] == "first read" and first.anomaly_types == ["wrong-total"]
    assert check(history()).valid == "unknown"  # no read: nothing tested


def test_bank_modes_on_the_memory_store() -> None:
    opts = {"accounts": 4, "total": 40}
    cfg = CheckConfig(options={"total": 40, "accounts": [0, 1, 2, 3]})
    txn = run("serializable", 3, ops=300, workload="bank", bank_mode="txn", **opts)
    assert make_checker("bank", cfg).check(txn).valid is True
    rmw = run("serializable", 3, ops=600, workload="bank", bank_mode="rmw", **opts)
    r = make_checker("bank", cfg).check(rmw)
    assert r.valid is False and "wrong-total" in r.anomaly_types


def test_jepsen_bank_edn(tmp_path) -> None:
    from ..conftest import run_cli

    p = tmp_path / "bank.edn"
    p.write_text(
        "{:type :invoke, :f :read, :value nil, :process 0, :time 1}\n"
        "{:type :ok, :f :read, :value {0 10, 1 10}, :process 0, :time 2}\n"
        "{:type :invoke, :f :transfer, :value {:from 0, :to 1, :amount 5}, :process 1, :time 3}\n"
        "{:type :ok, :f :transfer, :value {:from 0, :to 1, :amount 5}, :process 1, :time 4}\n"
        "{:type :invoke, :f :read, :value nil, :process 0, :time 5}\n"
        "{:type :ok, :f :read, :value {0 5, 1 16}, :process 0, :time 6}\n")
    r = run_cli("check", "--json", str(p))  # transfer ops choose the bank checker
    assert r.returncode == 1, r.stderr
    assert '"wrong-total"' in r.stdout and '"total_source":"first read"' in r.stdout
