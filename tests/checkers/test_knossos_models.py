"""Knossos's models (mutex, set, fifo-queue, unordered-queue, multi-register-txn): hand-written
valid and invalid histories, and small random concurrent histories checked against a
brute-force oracle written here independently of the checker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from isolde._errors import BadInput
from isolde.checkers.linearizable import MODELS
from isolde.histories import History, Op

from ..conftest import run_cli
from .linhelp import check, hist

FIXTURES = Path(__file__).parent / "fixtures" / "jepsen"


# --- hand-written histories --------------------------------------------------------------------
@pytest.mark.parametrize(("model", "file", "valid"), [
    ("mutex", "mutex-valid.edn", 0),
    ("mutex", "mutex-invalid.edn", 1),
    ("set", "set-valid.edn", 0),
    ("set", "set-invalid.edn", 1),
    ("fifo-queue", "queue-valid.edn", 0),
    ("fifo-queue", "queue-reordered.edn", 1),
    ("unordered-queue", "queue-reordered.edn", 0),
    ("unordered-queue", "queue-duplicated.edn", 1),
    ("fifo-queue", "queue-duplicated.edn", 1),
])
def test_model_on_edn_from_the_cli(model: str, file: str, valid: int) -> None:
    r = run_cli("check", "--model", model, str(FIXTURES / file))
    assert r.returncode == valid, r.stdout + r.stderr
    if valid:
        assert "nonlinearizable" in r.stdout and f"the {model} could only be" in r.stdout


def test_multi_register_txn_from_a_map_of_initial_values() -> None:
    args = ("check", "--checker", "linearizable", "--model", "multi-register-txn")
    ok = str(FIXTURES / "multi-register-valid.edn")
    bad = str(FIXTURES / "multi-register-invalid.edn")
    r = run_cli(*args, "--initial", "{:x 0 :y 0}", ok)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli(*args, "--initial", '{"x": 0, "y": 0}', bad)  # JSON names the same keys
    assert r.returncode == 1, r.stdout + r.stderr
    assert "op 2 (line 5: process 1 txn" in r.stdout  # the torn read, cited by its :index
    assert 'could only be {"x" 1, "y" 1}' in r.stdout
    r = run_cli(*args, ok)  # from nil, the reads of 0 are impossible
    assert r.returncode == 1, r.stdout + r.stderr
    r = run_cli(*args, "--initial", "0", ok)
    assert r.returncode == 254 and "takes a map as --initial" in r.stderr
    r = run_cli("check", "--model", "multi-register", ok)  # Knossos's name for it
    assert r.returncode == 254 and "are model multi-register-txn" in r.stderr


def test_initial_is_refused_by_models_without_one() -> None:
    r = run_cli("check", "--model", "mutex", "--initial", "0", str(FIXTURES / "mutex-valid.edn"))
    assert r.returncode == 254 and "takes no --initial" in r.stderr
    r = run_cli("check", "--initial", "{:x", str(FIXTURES / "mutex-valid.edn"))
    assert r.returncode == 254 and "not a JSON or EDN value" in r.stderr


def test_bad_ops_for_a_model_are_bad_input() -> None:
    h = hist(("invoke", 0, "txn", [["frob", "x", 1]]), ("ok", 0, "txn", [["frob", "x", 1]]))
    with pytest.raises(BadInput, match="multi-register txn must be"):
        check(h, "multi-register-txn")
    h = hist(("invoke", 0, "read", None), ("ok", 0, "read", 3))
    with pytest.raises(BadInput, match="set read must return a collection"):
        check(h, "set")
    with pytest.raises(BadInput, match="cannot interpret"):
        check(h, "mutex")


# --- brute-force oracle -------------------------------------------------------------------------
# Each model's semantics, restated: (state, f, argument, output, status) -> next states.
Step = Callable[[Any, str, Any, Any, str], list[Any]]


def _mutex(s: Any, f: str, arg: Any, out: Any, status: str) -> list[Any]:
    return [True] if f == "acquire" and not s else [False] if f == "release" and s else []


def _set(s: Any, f: str, arg: Any, out: Any, status: str) -> list[Any]:
    if f == "add":
        return [s | {arg}]
    return [s] if set(out or ()) == s else []


def _fifo(s: Any, f: str, arg: Any, out: Any, status: str) -> list[Any]:
    if f == "enqueue":
        return [[*s, arg]]
    if not s:
        return []
    return [s[1:]] if status == "info" or s[0] == out else []


def _bag(s: Any, f: str, arg: Any, out: Any, status: str) -> list[Any]:
    if f == "enqueue":
        return [[*s, arg]]
    picks = range(len(s)) if status == "info" else [i for i, v in enumerate(s) if v == out][:1]
    return [s[:i] + s[i + 1:] for i in picks]


def _txn(s: Any, f: str, arg: Any, out: Any, status: str) -> list[Any]:
    regs = dict(s)
    for g, k, v in (out if status == "ok" else arg):
        if g == "write":
            regs[k] = v
        elif not (v is None and status != "ok") and regs.get(k) != v:
            return []
    return [regs]


def oracle(h: History, step: Step, init: Any) -> bool:
    """Try every real-time order of the completed ops, with or without each crashed one."""
    ops = []
    for i in h.invocations():
        j = h.pair(i)
        status = h[j].type if j >= 0 else "info"
        if status == "fail":
            continue
        ops.append({"f": h.fs[i], "arg": h.values[i], "out": h.values[j] if status == "ok"
                    else None, "status": status, "call": i, "ret": j if status == "ok" else None})

    def go(state: Any, left: list[dict[str, Any]]) -> bool:
        if all(o["status"] == "info" for o in left):
            return True
        for x in left:
            if any(y["ret"] is not None and y["ret"] < x["call"] for y in left if y is not x):
                continue
            for nxt in step(state, x["f"], x["arg"], x["out"], x["status"]):
                if go(nxt, [y for y in left if y is not x]):
                    return True
        return False

    return go(init, ops)


def _invocation(model: str, data: st.DataObject) -> tuple[str, Any]:
    if model == "mutex":
        return data.draw(st.sampled_from(["acquire", "release"])), None
    if model == "set":
        f = data.draw(st.sampled_from(["add", "read"]))
        return f, data.draw(st.sampled_from([1, 2, 3])) if f == "add" else None
    if model in ("fifo-queue", "unordered-queue"):
        f = data.draw(st.sampled_from(["enqueue", "dequeue"]))
        return f, data.draw(st.sampled_from([1, 2])) if f == "enqueue" else None
    mops = data.draw(st.lists(st.tuples(st.sampled_from(["read", "write"]),
                                        st.sampled_from(["x", "y"]), st.sampled_from([1, 2])),
                              min_size=1, max_size=2))
    return "txn", [[g, k, None if g == "read" else v] for g, k, v in mops]


def _output(model: str, f: str, arg: Any, data: st.DataObject) -> Any:
    if model == "set" and f == "read":
        return data.draw(st.lists(st.sampled_from([1, 2, 3]), unique=True, max_size=3))
    if f == "dequeue":
        return data.draw(st.sampled_from([1, 2]))
    if f == "txn":
        return [[g, k, data.draw(st.sampled_from([None, 0, 1, 2])) if g == "read" else v]
                for g, k, v in arg]
    return arg


def _random_history(model: str, data: st.DataObject) -> History:
    procs, budget = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 6))
    busy: dict[int, tuple[str, Any]] = {}
    next_proc = list(range(procs))
    ops: list[Op] = []
    invoked = 0
    while invoked < budget or busy:
        w = (data.draw(st.integers(0, procs - 1)) if invoked < budget else
             data.draw(st.sampled_from([w for w in range(procs) if next_proc[w] in busy])))
        p = next_proc[w]
        if p not in busy:
            f, v = _invocation(model, data)
            busy[p] = (f, v)
            ops.append(Op(len(ops), len(ops), "invoke", p, f, v))
            invoked += 1
            continue
        f, v = busy.pop(p)
        outcome = data.draw(st.sampled_from(["ok", "ok", "ok", "fail", "info", "open"]))
        if outcome in ("info", "open"):
            next_proc[w] += procs  # a crashed process never returns
        if outcome == "open":
            continue
        out = _output(model, f, v, data) if outcome == "ok" else v
        ops.append(Op(len(ops), len(ops), outcome, p, f, out))
    return History(ops)


_ORACLES: dict[str, tuple[Step, Callable[[], Any]]] = {
    "mutex": (_mutex, lambda: False),
    "set": (_set, set),
    "fifo-queue": (_fifo, list),
    "unordered-queue": (_bag, list),
    "multi-register-txn": (_txn, dict),
}


@pytest.mark.parametrize("model", sorted(_ORACLES))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_small_concurrent_histories_agree_with_brute_force(model: str,
                                                           data: st.DataObject) -> None:
    assert model in MODELS
    h = _random_history(model, data)
    step, init = _ORACLES[model]
    expected = oracle(h, step, init())
    event(f"linearizable={expected}")
    assert check(h, model).valid is expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_multi_register_txn_from_initial_values(data: st.DataObject) -> None:
    h = _random_history("multi-register-txn", data)
    expected = oracle(h, _txn, {"x": 0, "y": 0})
    assert check(h, "multi-register-txn", initial=({"x": 0, "y": 0},)).valid is expected
