"""Property tests: sequential executions are linearizable; small concurrent histories agree
with the brute-force oracle in linhelp."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from isolde.histories import History, Op

from .linhelp import check, oracle_linearizable, oracle_states

VALUES = [1, 2, 3]


def _random_op(data: st.DataObject) -> tuple[str, Any]:
    f = data.draw(st.sampled_from(["read", "write", "cas"]))
    if f == "read":
        return f, None
    if f == "write":
        return f, data.draw(st.sampled_from(VALUES))
    return f, [data.draw(st.sampled_from([None, *VALUES])), data.draw(st.sampled_from(VALUES))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sequential_execution_is_linearizable(data: st.DataObject) -> None:
    """One op at a time against a real register, with crashes (which may or may not apply)
    and failed CAS; whatever happened, the history is linearizable."""
    state: Any = None
    ops: list[Op] = []
    procs = data.draw(st.integers(1, 4))
    next_proc = list(range(procs))
    for _ in range(data.draw(st.integers(1, 30))):
        w = data.draw(st.integers(0, procs - 1))
        p = next_proc[w]
        f, v = _random_op(data)
        ops.append(Op(len(ops), len(ops), "invoke", p, f, v))
        crash = data.draw(st.integers(0, 9)) == 0
        applies = not crash or data.draw(st.booleans())
        out, typ = v, "ok"
        if f == "read":
            out = state
        elif f == "write":
            if applies:
                state = v
        elif state == v[0]:
            if applies:
                state = v[1]
        else:
            typ = "fail"
        if crash:
            typ = "info"
            next_proc[w] += procs  # a crashed process never invokes again
            out = v
        ops.append(Op(len(ops), len(ops), typ, p, f, out))
    assert check(History(ops)).valid is True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_small_concurrent_histories_agree_with_brute_force(data: st.DataObject) -> None:
    procs = data.draw(st.integers(1, 4))
    budget = data.draw(st.integers(1, 7))
    busy: dict[int, tuple[int, str, Any]] = {}
    ops: list[Op] = []
    next_proc = list(range(procs))
    written: list[Any] = [None]
    invoked = 0
    while invoked < budget or busy:
        if invoked < budget:
            w = data.draw(st.integers(0, procs - 1))
        else:  # only completions are left
            w = data.draw(st.sampled_from([w for w in range(procs) if next_proc[w] in busy]))
        p = next_proc[w]
        if p not in busy:
            f, v = _random_op(data)
            if f == "write":
                written.append(v)
            busy[p] = (len(ops), f, v)
            ops.append(Op(len(ops), len(ops), "invoke", p, f, v))
            invoked += 1
            continue
        _, f, v = busy.pop(p)
        outcome = data.draw(st.sampled_from(["ok", "ok", "ok", "fail", "info", "open"]))
        if outcome == "open":
            next_proc[w] += procs  # leave it open: the process never returns
            continue
        if outcome == "fail" and f != "cas":
            outcome = "ok"
        out = data.draw(st.sampled_from(written)) if f == "read" and outcome == "ok" else v
        if outcome == "info":
            next_proc[w] += procs
        ops.append(Op(len(ops), len(ops), outcome, p, f, out))
    h = History(ops)
    expected = oracle_linearizable(h)
    event(f"linearizable={expected}")
    r = check(h)
    assert r.valid is expected
    if r.valid is False:
        # The failing window is exact: everything before the failing op's completion is
        # linearizable, and adding that completion is not.
        a = r.anomalies[0]
        end = a.ops[1]
        before = _prefix(h, end)
        assert oracle_linearizable(before) is True
        assert oracle_linearizable(_prefix(h, end + 1)) is False
        # ...and the states it reports are all the states possible there.
        if not a.data["more_states"]:
            want = {"nil" if s is None else repr(s) for s in oracle_states(before)}
            assert {s["state"] for s in a.data["states"]} == want


def _prefix(h: History, limit: int) -> History:
    """The events before ``limit``; an op completing later is pending there: kept open if it
    may have had an effect (a write or CAS that succeeded), dropped if it cannot have."""
    ops = []
    for i in range(limit):
        j = h.pair(i)
        if h[i].type == "invoke" and j >= limit and (h[j].type == "fail" or h.fs[i] == "read"):
            continue
        op = h[i]
        ops.append(Op(len(ops), len(ops), op.type, op.process, op.f, op.value))
    return History(ops)
