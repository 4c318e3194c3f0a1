"""Long partitions: the packed linearized set (``_wgl._PACK_ABOVE``) against one bit per op
(the same searches, configuration for configuration, and the oracle tests run packed), and
their width in numpy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from isolde.checkers.linearizable import KV, CasRegister, LinOp, Model, _wgl, prepare
from isolde.checkers.linearizable._checker import _width, _width_np
from isolde.checkers.linearizable._wgl import Search, SearchResult, _settle
from isolde.histories import History, Op

from . import test_linearizable_kv_props as kv_props
from . import test_linearizable_props as props


@pytest.fixture
def packed() -> Iterator[None]:
    with patch.object(_wgl, "_PACK_ABOVE", 0):
        yield


def test_settle_moves_the_ones_in_a_row_into_the_count() -> None:
    rel = 6  # a 3-bit count and 3 crashed ops' bits
    # count 2, crashed bits 0b101, relative bits 0b1011: the first two join the count
    lin = 0b1011 << rel | 0b101 << 3 | 2
    assert _settle(lin, rel) == 0b10 << rel | 0b101 << 3 | 4


def _history(data: st.DataObject, kv: bool) -> History:
    """A random single-key history of up to 60 ops by up to 5 processes, with crashed, open
    and failed ops, and reads that may return anything written (valid or not)."""
    procs = data.draw(st.integers(1, 5))
    budget = data.draw(st.integers(1, 60))
    busy: dict[int, tuple[str, Any]] = {}
    ops: list[Op] = []
    next_proc = list(range(procs))
    values = ["a", "b", "ab"] if kv else [1, 2, 3]
    invoked = 0
    while invoked < budget or busy:
        if invoked < budget:
            w = data.draw(st.integers(0, procs - 1))
        else:
            w = data.draw(st.sampled_from([w for w in range(procs) if next_proc[w] in busy]))
        p = next_proc[w]
        if p not in busy:
            f, v = _op(data, kv, values)
            busy[p] = (f, v)
            ops.append(Op(len(ops), len(ops), "invoke", p, f, v))
            invoked += 1
            continue
        f, v = busy.pop(p)
        outcome = data.draw(st.sampled_from(["ok", "ok", "ok", "ok", "fail", "info", "open"]))
        if outcome in ("info", "open"):
            next_proc[w] += procs
            if outcome == "open":
                continue
        if outcome == "fail" and f != "cas":
            outcome = "ok"
        out = data.draw(st.sampled_from(values)) if f in ("read", "get") else v
        ops.append(Op(len(ops), len(ops), outcome, p, f, out))
    return History(ops)


def _op(data: st.DataObject, kv: bool, values: list[Any]) -> tuple[str, Any]:
    if kv:
        f = data.draw(st.sampled_from(["get", "get", "append", "put"]))
        return f, None if f == "get" else data.draw(st.sampled_from(values))
    f = data.draw(st.sampled_from(["read", "read", "write", "cas"]))
    if f == "read":
        return f, None
    if f == "write":
        return f, data.draw(st.sampled_from(values))
    return f, [data.draw(st.sampled_from([None, *values])), data.draw(st.sampled_from(values))]


def _search(model: Model, ops: list[LinOp], pack: bool, budget: int | None) -> SearchResult:
    with patch.object(_wgl, "_PACK_ABOVE", 0 if pack else 1 << 30):
        s = Search(model, ops)
        assert s.packed is (pack and bool(ops))
        return s.run(budget)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans(), st.sampled_from([None, 5, 40]))
def test_packed_search_is_the_plain_search(data: st.DataObject, kv: bool,
                                           budget: int | None) -> None:
    """Same verdict, configurations, failing op, prefix, states and longest linearization
    (the cache holds the same sets, so the search takes the same path), within a budget
    too."""
    model: Model = KV() if kv else CasRegister()
    h = _history(data, kv)
    if kv:
        h = History(Op(o.index, o.time, o.type, o.process, o.f, ["k", o.value], o.error)
                    for o in h)
    parts = prepare(h, model, "evidence")
    ops = parts[0][1] if parts else []
    plain, packed = (_search(model, ops, pack, budget) for pack in (False, True))
    event(f"valid={plain.valid}")
    assert packed == plain


def test_brute_force_agreement_packed(packed: None) -> None:
    props.test_small_concurrent_histories_agree_with_brute_force()


def test_sequential_execution_packed(packed: None) -> None:
    props.test_sequential_execution_is_linearizable()


def test_kv_brute_force_agreement_packed(packed: None) -> None:
    kv_props.test_small_kv_histories_agree_with_brute_force()


def test_kv_pruning_explanation_packed(packed: None) -> None:
    kv_props.test_pruning_never_changes_the_explanation()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["ok", "info", "fail", "open"])),
                max_size=40))
def test_width_in_numpy_is_the_width(spans: list[tuple[int, str]]) -> None:
    """Long partitions' width (numpy) is the short ones' (bisect), with crashed and open ops."""
    ops, at = [], 0
    for length, status in sorted(spans, key=lambda s: s[0] % 7):
        complete = -1 if status == "open" else at + 1 + length
        ops.append(LinOp("write", 1, None, "info" if status == "open" else status, at,
                         complete))
        at += 1 + (length % 3)
    assert _width_np(ops) == _width(ops) if ops else _width(ops) == 0
