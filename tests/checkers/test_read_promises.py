"""The read-promises checker: each read judged by the promise of the mode it asked for.

For every mode, a history that breaks the promise and a near-identical one that keeps it."""

from __future__ import annotations

from typing import Any

from isolde.checkers import CheckConfig, Result, run_checkers
from isolde.checkers._auto import default_checkers
from isolde.histories import History

from ._hist import Builder


def promises(h: History, **options: Any) -> Result:
    cfg = CheckConfig(options=options)
    return run_checkers(h, ["read-promises"], cfg)["read-promises"]


def types(r: Result) -> set[str]:
    return set(r.data["anomaly_counts"])


# --- strong: linearizable with the writes ---------------------------------------------------
def _strong(stale: bool) -> History:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1 if stale else 2, 4, 5, "strong")
    return b.build()


def test_strong_read_of_an_overwritten_value_breaks_linearizability() -> None:
    r = promises(_strong(stale=True))
    assert r.valid is False and types(r) == {"strong:linearizable"}
    a = r.anomalies[0]
    assert a.data["mode"] == "strong" and a.data["promise"] == "linearizable"
    assert "strong reads must be linearizable" in a.explanation


def test_fresh_strong_read_is_valid() -> None:
    r = promises(_strong(stale=False))
    assert r.valid is True and r.data["whole_history"]["linearizable"] is True


def test_weak_reads_leave_the_strong_judgement_alone_and_whole_history_is_information() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1, 4, 5, "eventual")  # stale, allowed
    b.r(2, "x", 2, 6, 7, "strong")
    h = b.build()
    r = promises(h)
    assert r.valid is True
    assert r.data["whole_history"]["linearizable"] is False  # reported, not judged
    assert "cannot be linearized" in r.data["whole_history"]["first"]
    # the old judgement is still one flag away
    assert run_checkers(h, ["linearizable"])["linearizable"].valid is False


# --- session: the session guarantees of the read's process ---------------------------------
def _session(own_write_first: bool) -> History:
    b = Builder()
    b.w(1, "x", 1, 0, 1)
    if own_write_first:
        b.w(0, "x", 2, 2, 3)  # process 0 writes 2 ...
    else:
        b.w(1, "x", 2, 2, 3)  # ... or someone else does
    b.r(0, "x", 1, 4, 5, "session")  # ... then process 0 reads the older 1
    return b.build()


def test_session_read_missing_its_own_write_breaks_read_your_writes() -> None:
    r = promises(_session(own_write_first=True))
    assert r.valid is False and types(r) == {"session:read-your-writes"}
    assert r.anomalies[0].explanation.startswith("a session read broke read-your-writes")


def test_session_read_missing_another_process_write_is_valid() -> None:
    assert promises(_session(own_write_first=False)).valid is True


def test_session_monotonic_reads_count_what_an_earlier_eventual_read_saw() -> None:
    b = Builder()
    b.w(1, "x", 1, 0, 1)
    b.w(1, "x", 2, 2, 3)
    b.r(0, "x", 2, 4, 5, "eventual")
    b.r(0, "x", 1, 6, 7, "session")
    assert types(promises(b.build())) == {"session:monotonic-reads"}


def test_an_eventual_read_going_backwards_is_no_session_violation() -> None:
    b = Builder()
    b.w(1, "x", 1, 0, 1)
    b.w(1, "x", 2, 2, 3)
    b.r(0, "x", 2, 4, 5, "session")
    b.r(0, "x", 1, 6, 7, "eventual")
    assert promises(b.build()).valid is True


# --- bounded: within the version and time bound --------------------------------------------
def _bounded(missed: int) -> History:
    b = Builder()
    for v in range(1, missed + 2):
        b.w(0, "x", v, 2 * v, 2 * v + 1)
    b.r(1, "x", 1, 100, 101, "bounded")  # missed writes 2..missed+1
    return b.build()


def test_bounded_read_beyond_its_version_bound() -> None:
    r = promises(_bounded(3), bounded_versions=2, bounded_ms=1000)
    assert r.valid is False and types(r) == {"bounded:version-bound"}
    assert r.anomalies[0].data["staleness"] == 3


def test_bounded_read_within_its_version_bound() -> None:
    assert promises(_bounded(2), bounded_versions=2, bounded_ms=1000).valid is True


def test_bounded_read_beyond_its_time_bound() -> None:
    # the first missed write completed at 5 ms, the read began at 100: 95 ms stale
    r = promises(_bounded(2), bounded_versions=10, bounded_ms=94)
    assert types(r) == {"bounded:time-bound"} and "95.0 ms" in r.anomalies[0].explanation
    assert promises(_bounded(2), bounded_versions=10, bounded_ms=95).valid is True


# --- consistent prefix: a version that was written before the read ended --------------------
def _prefix(write_start: float) -> History:
    b = Builder()
    b.r(0, "x", 1, 0, 1, "consistent-prefix")
    b.w(1, "x", 1, write_start, 3)
    return b.build()


def test_prefix_read_of_a_value_written_after_it_is_a_future_read() -> None:
    r = promises(_prefix(write_start=2))
    assert types(r) == {"consistent-prefix:future-read"}


def test_prefix_read_of_a_value_being_written_is_valid() -> None:
    assert promises(_prefix(write_start=0.5)).valid is True


def test_weak_read_of_a_value_never_written_is_thin_air() -> None:
    b = Builder()
    b.w(1, "x", 1, 0, 1)
    b.r(0, "x", 7, 2, 3, "consistent-prefix")
    assert types(promises(b.build())) == {"consistent-prefix:thin-air-read"}


# --- eventual: final reads converge -----------------------------------------------------------
def _final(agree: bool) -> History:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1, 1.5, 2.5, "eventual")  # stale, but not final: fine
    b.op(1, "read", ["x", None], ["x", 2], 10, 11, consistency="eventual", final=True)
    b.op(2, "read", ["x", None], ["x", 2 if agree else 1], 10, 11, consistency="eventual",
         final=True)
    return b.build()


def test_final_reads_that_disagree_break_convergence() -> None:
    r = promises(_final(agree=False))
    assert types(r) == {"eventual:convergence"}
    assert "final reads after the last write must agree" in r.anomalies[0].explanation


def test_final_reads_that_agree_converge() -> None:
    assert promises(_final(agree=True)).valid is True


# --- composition ----------------------------------------------------------------------------
def test_true_counts_beyond_the_listed_sample() -> None:
    b = Builder()
    b.w(1, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    for i in range(150):
        b.r(0, "x", 1, 4 + 2 * i, 5 + 2 * i, "session")
    r = promises(b.build())
    assert r.data["anomaly_counts"] == {"session:read-your-writes": 150}
    assert len(r.anomalies) == 100


def test_default_checker_for_weak_reads_is_read_promises() -> None:
    assert default_checkers(_strong(stale=False))[0] == "linearizable"
    assert default_checkers(_final(agree=True))[0] == "read-promises"
