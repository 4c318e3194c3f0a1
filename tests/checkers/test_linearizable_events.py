"""The search's event lists built in numpy (long partitions) against the op-by-op reference,
and whole searches with them."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isolde.checkers.linearizable import KV, CasRegister, LinOp, Model, _events, prepare
from isolde.checkers.linearizable._wgl import SearchResult
from isolde.histories import History, Op

from . import test_linearizable_kv_props as kv_props
from . import test_linearizable_packed as packed_props
from . import test_linearizable_props as props

_OPS = st.lists(
    st.tuples(st.integers(0, 40), st.integers(-1, 40), st.sampled_from(["ok", "info", "fail"]),
              st.booleans()),
    max_size=60)


def _ops(spec: list[tuple[int, int, str, bool]]) -> tuple[list[LinOp], list[bool]]:
    """Ops with these (invoke, duration, status, effect-free): each completes after its
    invocation, or never (duration -1); positions may repeat (the reference's tuple order
    then decides)."""
    ops = [LinOp("read" if free else "write", 1, None, status, invoke,
                 -1 if length < 0 else invoke + 1 + length)
           for invoke, length, status, free in spec]
    return ops, [free for *_, free in spec]


@settings(max_examples=300, deadline=None)
@given(_OPS, st.data())
def test_numpy_events_are_the_reference(spec: list[tuple[int, int, str, bool]],
                                        data: st.DataObject) -> None:
    ops, free = _ops(spec)
    was_crashed = _events.crashed(ops)
    guarded = data.draw(st.lists(st.sampled_from(range(len(ops))), unique=True)
                        if ops else st.just([]))
    assert (_events.link_np(ops, free, was_crashed, guarded)
            == _events.link_py(ops, free, was_crashed, guarded))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=60), st.integers(1, 8), st.randoms())
def test_numpy_packed_slots_are_the_reference(was_crashed: list[bool], s: int,
                                              rnd: object) -> None:
    size = 2 * len(was_crashed) + 3
    call_of = list(range(1, size - 2))
    rnd.shuffle(call_of)  # type: ignore[attr-defined]
    call_of = call_of[:len(was_crashed)]
    assert (_events.packed_slots_np(was_crashed, call_of, size, s)
            == _events.packed_slots_py(was_crashed, call_of, size, s))


@pytest.fixture
def in_numpy() -> Iterator[None]:
    with patch.object(_events, "NUMPY_ABOVE", 0):
        yield


def _search(model: Model, ops: list[LinOp], numpy: bool, pack: bool,
            budget: int | None) -> SearchResult:
    with patch.object(_events, "NUMPY_ABOVE", 0 if numpy else 1 << 30):
        return packed_props._search(model, ops, pack, budget)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans(), st.booleans(), st.sampled_from([None, 5, 40]))
def test_searches_with_numpy_events_are_the_same(data: st.DataObject, kv: bool, pack: bool,
                                                 budget: int | None) -> None:
    """The whole result (verdict, configurations, failing op, prefix, states, longest), with
    crashed, open and failed ops, kv pruning, packed sets and budgets."""
    model: Model = KV() if kv else CasRegister()
    h = packed_props._history(data, kv)
    if kv:
        h = History(Op(o.index, o.time, o.type, o.process, o.f, ["k", o.value], o.error)
                    for o in h)
    parts = prepare(h, model, "evidence")
    ops = parts[0][1] if parts else []
    assert (_search(model, ops, True, pack, budget)
            == _search(model, ops, False, pack, budget))


def test_brute_force_agreement_numpy(in_numpy: None) -> None:
    props.test_small_concurrent_histories_agree_with_brute_force()


def test_kv_brute_force_agreement_numpy(in_numpy: None) -> None:
    kv_props.test_small_kv_histories_agree_with_brute_force()


def test_kv_pruning_explanation_numpy(in_numpy: None) -> None:
    kv_props.test_pruning_never_changes_the_explanation()
