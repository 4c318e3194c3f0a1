"""The causal checker on hand-written histories: each violation type, with and without it."""

from __future__ import annotations

from typing import Any

from isolde.checkers import run_checkers
from isolde.histories import History

from ._hist import Builder


def causal(h: History) -> Any:
    return run_checkers(h, ["causal"])["causal"]


def types(h: History) -> list[str]:
    return causal(h).anomaly_types


def test_clean_history_is_valid() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(0, "x", 1, 2, 3)
    b.w(1, "y", 1, 0, 1)
    b.r(1, "x", 1, 4, 5)
    b.r(2, "y", 1, 6, 7)
    b.r(2, "x", 1, 8, 9)
    res = causal(b.build())
    assert res.valid is True, res.anomalies
    assert res.data["causal_consistency"] and res.data["causal_convergence"]


def test_read_your_writes() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(0, "x", 1, 4, 5)  # own write of 2 completed; 1 is definitely older
    res = causal(b.build())
    assert "read-your-writes" in res.anomaly_types
    a = next(a for a in res.anomalies if a.type == "read-your-writes")
    assert a.ops == (b.ids[1], b.ids[2])
    # Another process reading 1 is stale but breaks no session guarantee of its own.
    ok = Builder()
    ok.w(0, "x", 1, 0, 1)
    ok.w(0, "x", 2, 2, 3)
    ok.r(1, "x", 1, 4, 5)
    assert "read-your-writes" not in types(ok.build())


def test_read_your_writes_initial_value() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(0, "x", None, 2, 3)
    assert "read-your-writes" in types(b.build())


def test_monotonic_reads() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 2, 4, 5)
    b.r(1, "x", 1, 6, 7)
    assert types(b.build()) == ["WriteCORead", "monotonic-reads"]  # 1 CO 2 CO the 2nd read
    # Concurrent writes: neither value is definitely older, so either order may be seen.
    ok = Builder()
    ok.w(0, "x", 1, 0, 3)
    ok.w(2, "x", 2, 1, 4)
    ok.r(1, "x", 2, 5, 6)
    ok.r(1, "x", 1, 7, 8)
    assert "monotonic-reads" not in types(ok.build())


def test_monotonic_writes_profile_picture_then_comment() -> None:
    b = Builder()
    b.w(0, "photo", "v2", 0, 1)  # a new profile picture
    b.w(0, "comment", "look at my new picture", 2, 3)
    b.r(1, "comment", "look at my new picture", 4, 5)
    b.r(1, "photo", None, 6, 7)
    res = causal(b.build())
    mw = [a for a in res.anomalies if a.type == "monotonic-writes"]
    assert len(mw) == 1
    assert mw[0].ops == (b.ids[0], b.ids[1], b.ids[2], b.ids[3])
    assert "effect without its cause" in mw[0].explanation
    ok = Builder()
    ok.w(0, "photo", "v2", 0, 1)
    ok.w(0, "comment", "look", 2, 3)
    ok.r(1, "comment", "look", 4, 5)
    ok.r(1, "photo", "v2", 6, 7)
    assert causal(ok.build()).valid is True


def test_monotonic_writes_needs_the_read_before() -> None:
    # Reading the photo first (stale), then the comment, is not a violation.
    b = Builder()
    b.w(0, "photo", 1, 0, 1)
    b.w(0, "comment", 1, 2, 3)
    b.r(1, "photo", None, 4, 5)
    b.r(1, "comment", 1, 6, 7)
    assert causal(b.build()).valid is True


def test_writes_follow_reads() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 2, 4, 5)  # process 1 reads x=2 ...
    b.w(1, "y", 1, 6, 7)  # ... then writes y=1
    b.r(2, "y", 1, 8, 9)  # process 2 sees y=1 ...
    b.r(2, "x", 1, 10, 11)  # ... but then x=1, older than what 1 had read
    res = causal(b.build())
    assert "writes-follow-reads" in res.anomaly_types
    assert "monotonic-writes" not in res.anomaly_types
    a = next(a for a in res.anomalies if a.type == "writes-follow-reads")
    assert a.ops == (b.ids[2], b.ids[3], b.ids[4], b.ids[5])
    ok = Builder()
    ok.w(0, "x", 1, 0, 1)
    ok.w(0, "x", 2, 2, 3)
    ok.r(1, "x", 2, 4, 5)
    ok.w(1, "y", 1, 6, 7)
    ok.r(2, "y", 1, 8, 9)
    ok.r(2, "x", 2, 10, 11)
    assert causal(ok.build()).valid is True


def test_thin_air_read() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(1, "x", 5, 2, 3)
    assert types(b.build()) == ["ThinAirRead"]


def test_write_co_init_read() -> None:
    # p0 writes x then y; p1 reads y (so x's write is causally before) then x = initial.
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "y", 1, 2, 3)
    b.r(1, "y", 1, 4, 5)
    b.r(1, "x", None, 6, 7)
    assert "WriteCOInitRead" in types(b.build())
    # Without the causal link (p1 never read y) the initial read is only stale.
    ok = Builder()
    ok.w(0, "x", 1, 0, 1)
    ok.r(1, "x", None, 6, 7)
    assert causal(ok.build()).valid is True


def test_write_co_read() -> None:
    # Concurrent (real-time overlapping) writes, so the session checks cannot tell; causally,
    # p1 read 2 whose writer had read 1 first: 1 CO 2 CO (p1's later read), which reads 1.
    b = Builder()
    b.w(0, "x", 1, 0, 10)
    b.r(2, "x", 1, 1, 2)
    b.op(2, "write", ["x", 2], ["x", 2], 3, 11)
    b.r(1, "x", 2, 12, 13)
    b.r(1, "x", 1, 14, 15)
    res = causal(b.build())
    assert "WriteCORead" in res.anomaly_types
    assert res.data["causal_consistency"] is False


def test_cyclic_co() -> None:
    # Each process reads the other's later write before making it: po | rf is cyclic.
    b = Builder()
    b.r(0, "x", 1, 0, 1)
    b.w(0, "y", 1, 2, 3)
    b.r(1, "y", 1, 0, 1)
    b.w(1, "x", 1, 2, 3)
    res = causal(b.build())
    assert "CyclicCO" in res.anomaly_types
    assert res.valid is False


def test_cyclic_cf() -> None:
    # Two concurrent writes of x; p2 saw 1 then reads 2, p3 saw 2 then reads 1: no single
    # order of the two writes explains both (causal convergence fails), though each read is
    # causally fine.
    b = Builder()
    b.w(0, "x", 1, 0, 10)
    b.w(1, "x", 2, 0, 10)
    b.r(2, "x", 1, 1, 2)
    b.r(2, "x", 2, 3, 4)
    b.r(3, "x", 2, 1, 2)
    b.r(3, "x", 1, 3, 4)
    res = causal(b.build())
    assert res.anomaly_types == ["CyclicCF"]
    assert res.data["causal_consistency"] is True and res.data["causal_convergence"] is False
    ok = Builder()
    ok.w(0, "x", 1, 0, 10)
    ok.w(1, "x", 2, 0, 10)
    ok.r(2, "x", 1, 1, 2)
    ok.r(2, "x", 2, 3, 4)
    ok.r(3, "x", 1, 1, 2)
    ok.r(3, "x", 2, 3, 4)
    assert causal(ok.build()).valid is True


def test_process_renamed_after_info_starts_a_new_session() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.op(0, "read", ["x", None], None, 4, 5, type="info")
    b.r(10, "x", 1, 6, 7)  # the same worker under a new process id: not its own write
    assert "read-your-writes" not in types(b.build())


def test_single_register_and_cas() -> None:
    b = Builder()
    b.op(0, "write", 1, 1, 0, 1)
    b.op(0, "cas", [1, 2], [1, 2], 2, 3)
    b.op(0, "read", None, 1, 4, 5)
    assert types(b.build()) == ["WriteCORead", "read-your-writes"]


def test_list_append_exact_order() -> None:
    def txn(b: Builder, p: int, mops: list[Any], s: float, e: float) -> None:
        b.op(p, "txn", mops, mops, s, e)

    b = Builder()
    txn(b, 0, [["append", "x", 1]], 0, 1)
    txn(b, 0, [["append", "x", 2]], 2, 3)
    txn(b, 1, [["r", "x", [1, 2]]], 4, 5)
    txn(b, 1, [["r", "x", [1]]], 6, 7)  # shorter than before: monotonic reads broken
    txn(b, 0, [["r", "x", [1]]], 8, 9)  # misses its own append of 2
    res = causal(b.build())
    assert {"monotonic-reads", "read-your-writes", "WriteCORead"} <= set(res.anomaly_types)
    assert res.data["order"].startswith("version order")
    ok = Builder()
    txn(ok, 0, [["append", "x", 1], ["append", "y", 1]], 0, 1)
    txn(ok, 1, [["r", "y", [1]], ["r", "x", [1]]], 2, 3)
    assert causal(ok.build()).valid is True
    bad = Builder()
    txn(bad, 0, [["append", "x", 1]], 0, 1)
    txn(bad, 0, [["append", "y", 1]], 2, 3)
    txn(bad, 1, [["r", "y", [1]]], 4, 5)
    txn(bad, 1, [["r", "x", []]], 6, 7)
    assert {"monotonic-writes", "WriteCOInitRead"} <= set(types(bad.build()))
    div = Builder()
    txn(div, 0, [["append", "x", 1]], 0, 1)
    txn(div, 1, [["append", "x", 2]], 0, 1)
    txn(div, 2, [["r", "x", [1, 2]]], 4, 5)
    txn(div, 3, [["r", "x", [2, 1]]], 4, 5)
    assert "incompatible-order" in types(div.build())


def test_repeated_values_make_it_unknown() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 1, 2, 3)
    b.r(1, "x", 1, 4, 5)
    res = causal(b.build())
    assert res.valid == "unknown" and res.data["notes"]


def test_listing_is_capped_but_counts_are_not() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    for i in range(150):
        b.r(0, "x", None, 2 + 2 * i, 3 + 2 * i)  # each misses the process's own write
    res = causal(b.build())
    ryw = [a for a in res.anomalies if a.type == "read-your-writes"]
    assert len(ryw) == 100
    assert res.data["counts"]["read-your-writes"] == 150
    assert res.data["anomaly_counts"]["read-your-writes"] == 150


def test_vector_clock_budget_gives_unknown() -> None:
    from isolde.checkers._causal_model import Findings, from_registers
    from isolde.checkers._causal_patterns import check_patterns
    from isolde.checkers._registers import decode

    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(1, "x", 1, 2, 3)
    found = Findings()
    notes = check_patterns(from_registers(decode(b.build())), found, max_vc_cells=1)
    assert notes and "skipped" in notes[0] and not found.counts


def test_time_limit_gives_unknown_but_keeps_what_was_found() -> None:
    from isolde.checkers import CheckConfig

    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(1, "x", 1, 2, 3)
    res = run_checkers(b.build(), ["causal"], CheckConfig(time_limit=1e-9))["causal"]
    assert res.valid == "unknown" and "time limit" in res.data["notes"][-1]
    bad = Builder()
    bad.r(1, "x", 5, 2, 3)  # thin air is found before the budget is looked at
    res = run_checkers(bad.build(), ["causal"], CheckConfig(time_limit=1e-9))["causal"]
    assert res.valid is False and res.anomaly_types == ["ThinAirRead"]
