"""The linearizable checker on small hand-written histories: each rule with a history that
breaks it and one that does not."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable

import pytest

from isolde._errors import BadInput, UsageError
from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._auto import default_checkers
from isolde.checkers.linearizable import (
    MODELS,
    LinearizableChecker,
    LinOp,
    Model,
    State,
    choose_model,
    search,
)

from .linhelp import check, hist


def test_sequential_register_valid_and_stale_read_invalid() -> None:
    ok = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
              ("invoke", 1, "read", None), ("ok", 1, "read", 1))
    assert check(ok, "register").valid is True
    stale = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
                 ("invoke", 0, "write", 2), ("ok", 0, "write", 2),
                 ("invoke", 1, "read", None), ("ok", 1, "read", 1))
    r = check(stale, "register")
    assert r.valid is False
    (a,) = r.anomalies
    assert a.type == "nonlinearizable"
    assert a.ops[:2] == (4, 5)
    assert a.data["states"] == [{"state": "2", "linearized_concurrent": []}]
    assert a.data["prefix_length"] == 2 and a.data["prefix_tail"] == [0, 2]
    assert a.data["window"] == [4, 5]
    assert "op 4" in a.explanation and "could only be 2" in a.explanation


def test_concurrent_write_makes_either_read_legal() -> None:
    h = hist(("invoke", 0, "write", 1), ("invoke", 1, "read", None), ("ok", 1, "read", None),
             ("invoke", 1, "read", None), ("ok", 1, "read", 1), ("ok", 0, "write", 1))
    assert check(h).valid is True
    # ...but not a read of 1 followed by a read of nil.
    h2 = hist(("invoke", 0, "write", 1), ("invoke", 1, "read", None), ("ok", 1, "read", 1),
              ("invoke", 1, "read", None), ("ok", 1, "read", None), ("ok", 0, "write", 1))
    r = check(h2)
    assert r.valid is False
    assert r.anomalies[0].data["concurrent"] == [0]
    assert r.anomalies[0].data["window"] == [0, 4]


def test_info_write_may_take_effect_late_or_never() -> None:
    late = hist(("invoke", 0, "write", 1), ("info", 0, "write", 1, "timeout"),
                ("invoke", 1, "read", None), ("ok", 1, "read", None),
                ("invoke", 1, "read", None), ("ok", 1, "read", 1))
    assert check(late).valid is True
    never = hist(("invoke", 0, "write", 1), ("info", 0, "write", 1),
                 ("invoke", 1, "read", None), ("ok", 1, "read", None))
    assert check(never).valid is True
    # Once observed it cannot be undone.
    flip = hist(("invoke", 0, "write", 1), ("info", 0, "write", 1),
                ("invoke", 1, "read", None), ("ok", 1, "read", 1),
                ("invoke", 1, "read", None), ("ok", 1, "read", None))
    assert check(flip).valid is False


def test_interchangeable_crashed_writes_take_effect_only_after_their_calls() -> None:
    """Two crashed writes of 1 are searched in call order, the second in the first's place
    in the event list once that one is linearized: it still cannot take effect before its
    own call (so the last read of 1 has no write to explain it), but it can after."""
    events: list[tuple[object, ...]] = [
        ("invoke", 0, "write", 1), ("info", 0, "write", 1),
        ("invoke", 1, "read", None), ("ok", 1, "read", 1),
        ("invoke", 1, "write", 2), ("ok", 1, "write", 2),
        ("invoke", 1, "read", None), ("ok", 1, "read", 1),
        ("invoke", 2, "write", 1), ("info", 2, "write", 1)]
    assert check(hist(*events)).valid is False
    early = events[:6] + events[8:] + events[6:8]  # the second write called before the read
    assert check(hist(*early)).valid is True


def test_open_invocation_is_treated_as_info() -> None:
    h = hist(("invoke", 0, "write", 3), ("invoke", 1, "read", None), ("ok", 1, "read", 3))
    assert check(h).valid is True
    h2 = hist(("invoke", 1, "read", None), ("ok", 1, "read", 3), ("invoke", 0, "write", 3))
    assert check(h2).valid is False  # the write was invoked after the read returned


def test_failed_cas_is_evidence() -> None:
    # Sequentially after write 1, cas [1 2] cannot fail.
    bad = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
               ("invoke", 1, "cas", [1, 2]), ("fail", 1, "cas", [1, 2]))
    r = check(bad)
    assert r.valid is False and r.anomalies[0].ops[:2] == (2, 3)
    # With a concurrent write of 5 it can.
    good = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1), ("invoke", 2, "write", 5),
                ("invoke", 1, "cas", [1, 2]), ("fail", 1, "cas", [1, 2]), ("ok", 2, "write", 5))
    assert check(good).valid is True
    # A failed write did not happen.
    fw = hist(("invoke", 0, "write", 1), ("fail", 0, "write", 1),
              ("invoke", 1, "read", None), ("ok", 1, "read", 1))
    assert check(fw).valid is False


def test_successful_and_crashed_cas() -> None:
    h = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1), ("invoke", 0, "cas", [1, 2]),
             ("ok", 0, "cas", [1, 2]), ("invoke", 1, "read", None), ("ok", 1, "read", 2))
    assert check(h).valid is True
    wrong = hist(("invoke", 0, "cas", [1, 2]), ("ok", 0, "cas", [1, 2]))
    assert check(wrong).valid is False  # the register starts at nil
    crashed = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
                   ("invoke", 0, "cas", [1, 2]), ("info", 0, "cas", [1, 2]),
                   ("invoke", 1, "read", None), ("ok", 1, "read", 2))
    assert check(crashed).valid is True


def test_crashed_and_failed_reads_are_dropped() -> None:
    h = hist(("invoke", 0, "read", None), ("info", 0, "read", None),
             ("invoke", 1, "read", None), ("fail", 1, "read", None, "timed-out"),
             ("invoke", 2, "write", 4), ("ok", 2, "write", 4))
    r = check(h)
    assert r.valid is True and r.data["ops"] == 1


def test_multi_register_is_checked_per_key() -> None:
    h = hist(("invoke", 0, "write", ["a", 1]), ("ok", 0, "write", ["a", 1]),
             ("invoke", 1, "write", ["b", 2]), ("ok", 1, "write", ["b", 2]),
             ("invoke", 0, "read", ["a", None]), ("ok", 0, "read", ["a", 1]),
             ("invoke", 1, "read", ["b", None]), ("ok", 1, "read", ["b", 1]))
    assert choose_model(h) == "multi-register"
    r = check(h, None)
    assert r.valid is False and r.data["partitions"] == 2
    (a,) = r.anomalies
    assert a.data["key"] == "b" and a.ops[:2] == (6, 7)
    assert 'key "b"' in a.explanation


def test_kv_model_get_put_append() -> None:
    ok = hist(("invoke", 0, "put", ["k", "a"]), ("ok", 0, "put", ["k", "a"]),
              ("invoke", 0, "append", ["k", "b"]), ("invoke", 1, "get", ["k", None]),
              ("ok", 1, "get", ["k", "ab"]), ("ok", 0, "append", ["k", "b"]),
              ("invoke", 1, "get", ["j", None]), ("ok", 1, "get", ["j", ""]))
    assert choose_model(ok) == "kv"
    assert check(ok, None).valid is True
    assert default_checkers(ok) == ["linearizable", "stats"]
    bad = hist(("invoke", 0, "append", ["k", "x"]), ("ok", 0, "append", ["k", "x"]),
               ("invoke", 0, "append", ["k", "y"]), ("ok", 0, "append", ["k", "y"]),
               ("invoke", 1, "get", ["k", None]), ("ok", 1, "get", ["k", "yx"]))
    r = check(bad, None)
    assert r.valid is False and '"xy"' in r.anomalies[0].explanation


def test_model_must_understand_the_ops() -> None:
    h = hist(("invoke", 0, "cas", [1, 2]), ("ok", 0, "cas", [1, 2]))
    with pytest.raises(BadInput, match="cannot interpret f 'cas'"):
        check(h, "register")
    with pytest.raises(UsageError, match="unknown model"):
        check(h, "queue")


class _Lossy(Model):
    """A nondeterministic register for the test: a write may be lost (state unchanged)."""

    name = "lossy"
    fs = frozenset({"read", "write"})

    def init(self) -> State:
        return 0

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f == "write":
            return (op.value, state)
        return (state,) if op.output == state else ()

    def partition(self, op: LinOp) -> tuple[Hashable, LinOp]:
        return None, op


def test_nondeterministic_user_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "lossy", _Lossy)
    h = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1),
             ("invoke", 0, "write", 2), ("ok", 0, "write", 2),
             ("invoke", 1, "read", None), ("ok", 1, "read", 1))
    assert check(h, "lossy").valid is True  # the write of 2 was lost
    assert check(h, "register").valid is False
    h2 = hist(("invoke", 1, "read", None), ("ok", 1, "read", 3))
    assert check(h2, "lossy").valid is False


def _explosive(n: int) -> list[LinOp]:
    """n concurrent appends, then a read no order can produce: a search that must try n!
    orders."""
    ops = [LinOp("append", f"<{i}>", None, "ok", i, n + i) for i in range(n)]
    ops.append(LinOp("get", None, "nope", "ok", 2 * n, 2 * n + 1))
    return ops


def test_budgets_give_unknown_with_longest_partial() -> None:
    kv = MODELS["kv"]()
    r = search(kv, _explosive(9), deadline=time.monotonic() + 0.05)
    assert r.valid == "unknown" and r.reason == "time limit"
    assert len(r.longest) == 9  # every append linearized, the read not
    r = search(kv, _explosive(9), memory_limit=1)
    assert r.valid == "unknown" and r.reason == "memory limit"
    assert search(kv, _explosive(4)).valid is False


def test_checker_unknown_reports_partial_linearization() -> None:
    events: list[tuple[object, ...]] = [("invoke", i, "append", ["k", f"<{i}>"])
                                        for i in range(9)]
    events += [("ok", i, "append", ["k", f"<{i}>"]) for i in range(9)]
    events += [("invoke", 9, "get", ["k", None]), ("ok", 9, "get", ["k", "nope"])]
    r = check(hist(*events), "kv", time_limit=0.2)
    assert r.valid == "unknown"
    (u,) = r.data["unknown"]
    assert u["reason"] == "time limit" and u["longest_length"] == 9
    assert sorted(u["longest_partial_linearization"]) == list(range(9))


def test_parallel_workers_give_the_same_result() -> None:
    events: list[tuple[object, ...]] = []
    for k in range(6):
        events += [("invoke", 0, "write", [k, 1]), ("ok", 0, "write", [k, 1]),
                   ("invoke", 1, "read", [k, None]), ("ok", 1, "read", [k, k % 2])]
    h = hist(*events)
    serial = check(h, None, workers=1)
    parallel = check(h, None, workers=2)
    assert parallel.data["workers"] == 2
    assert serial.valid is False
    assert [a.to_json() for a in serial.anomalies] == [a.to_json() for a in parallel.anomalies]
    # Keys 0, 2 and 4 are invalid: the check ends at the first one it searches (all are alike,
    # so the first key), and names the keys it did not search.
    assert [a.data["key"] for a in serial.anomalies] == [0]
    assert serial.data["stopped_after_violation"] == [1, 2, 3, 4, 5]
    assert parallel.data["stopped_after_violation"] == [1, 2, 3, 4, 5]


def test_keys_with_fewer_concurrent_ops_are_searched_first() -> None:
    """Key "a" (first in the file, two ops at once) and key "b" (one at a time) are both
    invalid: "b" is searched first, and its violation ends the check."""
    h = hist(("invoke", 0, "write", ["a", 1]), ("invoke", 1, "read", ["a", None]),
             ("ok", 0, "write", ["a", 1]), ("ok", 1, "read", ["a", 2]),
             ("invoke", 0, "write", ["b", 1]), ("ok", 0, "write", ["b", 1]),
             ("invoke", 1, "read", ["b", None]), ("ok", 1, "read", ["b", 2]))
    for workers in (1, 2):
        r = check(h, "multi-register", workers=workers)
        assert r.valid is False
        assert [a.data["key"] for a in r.anomalies] == ["b"]
        assert r.data["stopped_after_violation"] == ["a"]


def test_registered_and_run_by_name() -> None:
    h = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1))
    assert default_checkers(h) == ["linearizable", "stats"]
    res = run_checkers(h, ["linearizable"], CheckConfig())
    assert res["linearizable"].valid is True
    assert res["linearizable"].data["model"] == "cas-register"
    assert isinstance(LinearizableChecker(None).name, str)


def test_large_partition_explains_in_a_second_pass() -> None:
    events: list[tuple[object, ...]] = []
    for v in range(1, 601):  # > 512 ops: the first search does not collect states
        events += [("invoke", v % 3, "write", v), ("ok", v % 3, "write", v)]
    events += [("invoke", 5, "read", None), ("invoke", 4, "write", 0),
               ("ok", 4, "write", 0), ("ok", 5, "read", 599)]
    r = check(hist(*events))
    assert r.valid is False
    (a,) = r.anomalies
    assert a.ops[:2] == (1200, 1203) and a.data["concurrent"] == [1201]
    assert a.data["prefix_length"] == 601  # the writes, the concurrent write of 0 included
    assert a.data["prefix_tail"][-2:] == [1198, 1201]
    assert [s["state"] for s in a.data["states"]] == ["0"]


def test_malformed_values_are_bad_input_before_searching() -> None:
    h = hist(("invoke", 0, "cas", [1, 2, 3]), ("ok", 0, "cas", [1, 2, 3]))
    with pytest.raises(BadInput, match=r"op 0: cas value must be \[old, new\]"):
        check(h)
    h = hist(("invoke", 0, "write", 1), ("ok", 0, "write", 1))
    with pytest.raises(BadInput, match=r"expected a \[key, value\] tuple"):
        check(h, "multi-register")


class _Broken(_Lossy):
    name = "broken"

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        raise ZeroDivisionError("model bug")


def test_model_errors_in_workers_reach_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "broken", _Broken)
    monkeypatch.setattr(_Broken, "partition", lambda self, op: (op.value, op))
    h = hist(*[e for v in range(4) for e in (("invoke", 0, "write", v), ("ok", 0, "write", v))])
    with pytest.raises(ZeroDivisionError, match="model bug"):
        check(h, "broken", workers=2)
