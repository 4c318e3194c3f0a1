"""The stats checker's numpy pass over the columns against its op-by-op reference: the same
result, dict orders included, on random histories with errors, retries, nemesis and open ops."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import StatsChecker
from isolde.checkers._stats import _result, _tally, _tally_np
from isolde.histories import History, Op

ERRORS = [None, None, None, "timeout", "aborted", ["write-conflict", 1], {"type": "throttled"}]
EXTRAS = [{}, {}, {"consistency": "strong"}, {"attempts": 3}, {"attempts": 1},
          {"retries": 2}, {"attempts": "x"}]


@st.composite
def histories(draw: st.DrawFn) -> History:
    ops: list[Op] = []
    open_: dict[int, str] = {}
    t = draw(st.integers(-10**6, 10**6))
    for _ in range(draw(st.integers(1, 40))):
        t += draw(st.integers(0, 5_000_000))
        p = draw(st.integers(0, 3))
        if draw(st.integers(0, 9)) == 0:
            ops.append(Op(len(ops), t, "info", "nemesis", "start", None))
        elif p in open_:
            typ = draw(st.sampled_from(["ok", "ok", "fail", "info"]))
            ops.append(Op(len(ops), t, typ, p, open_.pop(p), None, draw(st.sampled_from(ERRORS)),
                          draw(st.sampled_from(EXTRAS))))
        else:
            open_[p] = draw(st.sampled_from(["read", "write", "cas"]))
            ops.append(Op(len(ops), t, "invoke", p, open_[p], None, None,
                          draw(st.sampled_from(EXTRAS))))
    return History(ops)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_numpy_tally_is_the_reference(h: History) -> None:
    want, got = _result(h, *_tally(h)), _result(h, *_tally_np(h))
    assert json.dumps(got.data) == json.dumps(want.data)
    assert got.valid == want.valid


def test_times_far_apart_take_the_reference_path() -> None:
    """Differences of times near the 64-bit limits would overflow int64: Python's ints."""
    h = History([Op(0, -(1 << 63), "invoke", 0, "read", None),
                 Op(1, (1 << 63) - 1, "ok", 0, "read", 1)])
    assert StatsChecker().check(h).data["latency_ms"]["read"]["max"] == ((1 << 64) - 1) / 1e6
