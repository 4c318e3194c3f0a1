"""The list-append checker on tiny hand-written histories: each anomaly, and its absence."""

from __future__ import annotations

from pathlib import Path

import pytest

from isolde.checkers import CheckConfig, Result, make_checker
from isolde.histories import txn_history

from ..conftest import run_cli
from .txnpaths import check_both

FIXTURES = Path(__file__).parent / "fixtures"


def check(txns: list, models: tuple[str, ...] = (), concurrent: bool = True) -> Result:
    h = txn_history(txns, concurrent=concurrent)
    return check_both(make_checker("list-append", CheckConfig(consistency_models=models)), h)


# (name, history with the anomaly, a near-identical history without it)
CASES = [
    ("G0", ["ax1ay1", "ax2ay2", "rx12ry21"], ["ax1ay1", "ax2ay2", "rx12ry12"]),
    ("G1a", [("fail", "ax1"), "rx1"], [("fail", "ax1"), "rx"]),
    ("G1b", ["ax1ax2", "rx1"], ["ax1ax2", "rx12"]),
    ("G1c", ["ax1ry1", "ay1rx1"], ["ax1ry", "ay1rx1"]),
    ("G-single", ["ax1ay1", "rxry1"], ["ax1ay1", "rx1ry1"]),
    ("G2-item", ["rxay1", "ryax1", "rx1ry1"], ["rxay1", "ry1ax1", "rx1ry1"]),
    ("lost-update", ["rxax1", "rxax2", "rx12"], ["rxax1", "rx1ax2", "rx12"]),
    ("dirty-update", [("fail", "ax1"), "ax2", "rx12"], [("fail", "ax1"), "ax2", "rx2"]),
    ("internal", ["ax1rx2", "ax2"], ["ax1rx21", "ax2"]),
    ("future-read", ["rx1ax1"], ["rxax1"]),
    ("duplicate-elements", ["ax1", "rx11"], ["ax1", "rx1"]),
    ("incompatible-order", ["ax1", "ax2", "rx12", "rx21"], ["ax1", "ax2", "rx12", "rx1"]),
    ("garbage-read", ["rx9"], ["rx"]),
    ("nonrepeatable-read", ["ax1", "rxrx1"], ["ax1", "rxrx"]),
]


@pytest.mark.parametrize(("anomaly", "bad", "good"), CASES, ids=[c[0] for c in CASES])
def test_each_anomaly_and_its_absence(anomaly: str, bad: list, good: list) -> None:
    r = check(bad, ("serializable",))
    assert anomaly in r.data["anomaly_counts"], r.data
    assert r.valid is False
    assert anomaly in r.anomaly_types
    a = next(a for a in r.anomalies if a.type == anomaly)
    assert a.explanation and a.ops
    ok = check(good, ("serializable",))
    assert anomaly not in ok.data["anomaly_counts"], ok.data


def test_valid_history_has_no_anomalies() -> None:
    r = check(["ax1", "rx1ay1", "rx1ry1ax2", "rx12ry1"], concurrent=False)
    assert r.valid is True and r.anomalies == [] and r.data["not"] == []
    assert r.data["may_satisfy"] == ["strict-serializable"]


def test_realtime_and_process_variants() -> None:
    # T1 completes before T2 begins, yet T2 misses T1's append: only realtime order says so.
    stale = ["ax1", "rx"]
    assert check(stale, ("serializable",), concurrent=False).valid is True
    r = check(stale, (), concurrent=False)  # default strict-serializable
    assert r.valid is False and r.anomaly_types == ["G-single-realtime"]
    assert r.data["not"] == ["strong-snapshot-isolation"]
    # The same two transactions on one process: a process-order cycle.
    h = txn_history(stale, processes=[0, 0])
    r2 = make_checker("list-append", CheckConfig(
        consistency_models=("strong-session-serializable",))).check(h)
    assert r2.anomaly_types == ["G-single-process"]


def test_explanation_names_key_and_value() -> None:
    r = check(["ax1ry1", "ay1rx1"])
    (a,) = [a for a in r.anomalies if a.type == "G1c"]
    assert "because T2 read [1] of key x, which includes T1's append of 1" in a.explanation \
        or "because T2 read [1] of key y, which includes T1's append of 1" in a.explanation
    edges = a.data["cycle"]
    assert {e["type"] for e in edges} == {"wr"}
    assert all({"from", "to", "key", "value"} <= set(e) for e in edges)
    assert sorted(a.ops) == sorted({e["from"] for e in edges})


def test_models_lattice_reporting() -> None:
    r = check(["rxay1", "ryax1", "rx1ry1"], ("snapshot-isolation",))
    assert r.valid is True  # write skew is allowed by snapshot isolation
    assert r.data["allowed_anomalies"] == ["G2-item"]
    assert r.data["not"] == ["repeatable-read", "serializable"]
    assert "strict-serializable" in r.data["also_not"]
    r = check([("fail", "ax1"), "rx1"], ("read-uncommitted",))
    assert r.valid is True and r.data["not"] == ["read-committed"]


def test_unknown_model_is_a_usage_error() -> None:
    from isolde._errors import UsageError

    with pytest.raises(UsageError, match="unknown consistency model"):
        make_checker("list-append", CheckConfig(consistency_models=("bogus",)))


def test_budget_exhaustion_gives_unknown() -> None:
    h = txn_history(["rxay1", "ryax1", "rx1ry1"], concurrent=True)
    r = make_checker("list-append", CheckConfig(
        consistency_models=("serializable",), options={"scc_budget": 1})).check(h)
    assert r.valid == "unknown"
    assert r.data["unknown_scc_count"] == 1 and r.data["may_satisfy"] is None


def test_info_txn_appends_count_when_read() -> None:
    r = check([("info", "ax1"), "rx1ry", ("info", "ay1"), "ry1rx"], ("serializable",))
    # T2 saw x1 but not y1; T4 saw y1 but not x1: the info txns' appends were read, so they
    # committed, and the cycle is real.
    assert r.valid is False


def test_info_txn_seen_once_committed_all_its_appends() -> None:
    # T1 (info) appended x1 and y2; x1 was read, so T1 committed and y2 follows T2's read of
    # y as []: T1 < T2 (x) and T2 < T1 (y).
    r = check([("info", "ax1ay2"), "ax3ry", "ax4", "rx134"], ("serializable",))
    assert r.anomaly_types == ["G-single"]


def test_edn_history_checks_from_the_cli() -> None:
    path = FIXTURES / "list-append-g1c.edn"
    r = run_cli("check", "--json", "--checker", "list-append", str(path))
    assert r.returncode == 1, r.stderr
    assert '"G1c"' in r.stdout
    ok = run_cli("check", "--checker", "list-append", str(FIXTURES / "list-append-ok.edn"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    auto = run_cli("check", "--json", str(path))  # txn ops pick the list-append checker
    assert '"list-append"' in auto.stdout


def test_edn_keyword_keys_and_nil_reads(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text(
        "{:type :invoke, :f :txn, :value [[:append :x 1] [:r :y nil]], :process 0}\n"
        "{:type :invoke, :f :txn, :value [[:append :y 1] [:r :x nil]], :process 1}\n"
        "{:type :ok, :f :txn, :value [[:append :x 1] [:r :y nil]], :process 0}\n"
        "{:type :ok, :f :txn, :value [[:append :y 1] [:r :x []]], :process 1}\n")
    r = run_cli("check", "--json", "--checker", "list-append", "--consistency-models",
                "serializable", str(p))
    assert r.returncode == 1, r.stderr
    assert '"G2-item"' in r.stdout and "key x" in r.stdout


def test_bad_micro_op_is_bad_input() -> None:
    from isolde._errors import BadInput
    from isolde.histories import History, Op

    h = History([Op(0, 0, "invoke", 0, "txn", [["frob", 1, 2]]),
                 Op(1, 1, "ok", 0, "txn", [["frob", 1, 2]])])
    with pytest.raises(BadInput, match="bad micro-op"):
        make_checker("list-append").check(h)


def test_bad_txn_value_exits_254(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    p.write_text('{"type":"invoke","f":"txn","value":[["r",1,null]],"process":0}\n'
                 '{"type":"ok","f":"txn","value":[["r",1,7]],"process":0}\n')
    r = run_cli("check", "--checker", "list-append", str(p))
    assert r.returncode == 254
    assert r.stderr.strip().count("\n") == 0 and "list-append read value must be a list" \
        in r.stderr
