"""The staleness checker: hand-written histories, the SLA gate, and an O(n^2) reference."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde._errors import UsageError
from isolde.checkers import CheckConfig, run_checkers
from isolde.checkers._registers import decode
from isolde.checkers._sla import parse_sla
from isolde.checkers._staleness import ReadStaleness, measure, t_visibility
from isolde.histories import History

from ._hist import Builder
from .test_causal_vc import stale_register_history


def staleness(h: History, **cfg: Any) -> Any:
    return run_checkers(h, ["staleness"], CheckConfig(**cfg))["staleness"]


def test_fresh_reads_are_not_stale() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.r(1, "x", 1, 2, 3)
    b.w(0, "x", 2, 4, 5)
    b.r(1, "x", 2, 6, 7)
    b.r(2, "x", 1, 4.5, 6)  # concurrent with the write of 2: may see 1
    res = staleness(b.build())
    assert res.valid is True
    assert res.data["reads"] == 3 and res.data["stale_reads"] == 0
    assert res.data["time_staleness_ms"]["max"] == 0.0


def test_missed_writes_and_time_staleness() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.w(0, "x", 3, 4, 5)
    b.r(1, "x", 1, 10, 11, "eventual")  # missed 2 and 3: 2 versions, 10 - 3 = 7 ms
    b.r(1, "x", None, 12, 13, "eventual")  # missed all three: 12 - 1 = 11 ms
    b.r(2, "x", 3, 12, 13, "strong")
    res = staleness(b.build())
    d = res.data
    assert d["reads"] == 3 and d["stale_reads"] == 2
    assert d["version_staleness"] == {"mean": (2 + 3 + 0) / 3, "max": 3}
    assert d["time_staleness_ms"]["max"] == 11.0
    assert d["time_staleness_ms"]["p50"] == 7.0  # nearest rank over [0, 7, 11]
    assert d["by_mode"]["eventual"]["stale_fraction"] == 1.0
    assert d["by_mode"]["strong"]["stale_reads"] == 0
    assert res.valid is True  # a measurement: no verdict without an SLA


def test_write_concurrent_with_source_is_not_missed() -> None:
    # The write of 2 began before the write of 1 completed: not certainly newer than 1.
    b = Builder()
    b.w(0, "x", 1, 0, 5)
    b.w(1, "x", 2, 1, 3)
    b.r(2, "x", 1, 10, 11)
    assert staleness(b.build()).data["stale_reads"] == 0


def test_cas_writes_new_and_info_writes_are_never_missed() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.op(1, "cas", ["x", [1, 2]], ["x", [1, 2]], 2, 3)
    b.w(2, "x", 3, 4, None)  # never completed: info
    b.r(3, "x", 1, 10, 11)
    d = staleness(b.build()).data
    assert d["reads"] == 1 and d["version_staleness"]["max"] == 1  # the cas, not the info write


def test_thin_air_read_is_always_invalid() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3, type="fail")
    b.r(1, "x", 7, 4, 5)
    b.r(1, "x", 2, 6, 7)
    res = staleness(b.build())
    assert res.valid is False
    assert res.anomaly_types == ["thin-air-read"]
    assert len(res.anomalies) == 2
    assert "failed" in res.anomalies[1].explanation
    ok = Builder()
    ok.w(0, "x", 1, 0, 1)
    ok.r(1, "x", 1, 2, 3)
    assert staleness(ok.build()).valid is True


def test_sla_gate() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1, 503, 504)  # 500 ms stale
    h = b.build()
    assert staleness(h, staleness_sla="p99=500ms,max=1s").valid is True
    res = staleness(h, staleness_sla="p99=499ms")
    assert res.valid is False and res.anomaly_types == ["staleness-sla-exceeded"]
    assert res.data["sla"][0]["actual"] == 500.0
    assert staleness(h, staleness_sla="stale_fraction=50%").valid is False
    assert staleness(h, staleness_sla="version_max=1").valid is True


@pytest.mark.parametrize("spec", ["", "p99", "p98=1s", "p99=fast", "max=-1s", "p99=1y",
                                  "stale_fraction=x", "version_max=-2"])
def test_bad_sla_is_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="--staleness-sla"):
        parse_sla(spec)


def test_sla_units() -> None:
    lims = {x.metric: x.limit for x in parse_sla("p50=250us,p999=1.5s,max=2m,p95=10")}
    assert lims == {"p50": 0.25, "p999": 1500.0, "max": 120_000.0, "p95": 10.0}
    assert parse_sla("p99.9=1ms")[0].metric == "p999"


def test_details_file(tmp_path: Path) -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1, 10, 11, "eventual")
    h = b.build()
    res = staleness(h, details=True, out_dir=tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "staleness.jsonl").read_text().splitlines()]
    assert rows == [{"op": b.ids[2], "process": 1, "key": "x", "value": 1, "mode": "eventual",
                     "source_op": b.ids[0], "thin_air": False, "version_staleness": 1,
                     "time_staleness_ms": 7.0, "oldest_missed_op": b.ids[1]}]
    assert res.data["details"] == str(tmp_path / "staleness.jsonl")


def test_single_register_history() -> None:
    b = Builder()
    b.op(0, "write", 1, 1, 0, 1)
    b.op(0, "write", 2, 2, 2, 3)
    b.op(1, "read", None, 1, 5, 6)
    d = staleness(b.build()).data
    assert d["stale_reads"] == 1 and d["time_staleness_ms"]["max"] == 2.0


def test_not_a_register_history_is_unknown() -> None:
    b = Builder()
    b.op(0, "txn", [["append", "x", 1]], [["append", "x", 1]], 0, 1)
    assert staleness(b.build()).valid == "unknown"


def test_t_visibility_curve() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 2, 2, 3)
    b.r(1, "x", 1, 13, 14)  # 10 ms stale
    b.r(1, "x", 2, 25, 26)  # fresh
    pts = {p["t_ms"]: p for p in staleness(b.build()).data["t_visibility"]}
    assert pts[0]["p"] == 0.5 and pts[10]["p"] == 0.5 and pts[20]["p"] == 1.0
    assert pts[20]["reads"] == 1  # only the read invoked >= 20 ms after a write completed


# --- an independent O(n^2) reference --------------------------------------------------------

def reference(h: History) -> dict[int, tuple[int, int, bool]]:
    """invoke index -> (version staleness, time staleness ns, thin air), from the definition."""
    ops = []
    for i in h.invocations():
        j = h.pair(i)
        typ = h[j].type if j >= 0 else "info"
        ops.append((i, h[i], h[j] if j >= 0 else None, typ))
    writes = []  # (key, value, inv, comp or inf, ok)
    for _i, inv, comp, typ in ops:
        if typ == "fail":
            continue
        if inv.f == "write":
            writes.append((inv.value[0], inv.value[1], inv.time,
                           comp.time if typ == "ok" else math.inf, typ == "ok"))
        elif inv.f == "cas":
            writes.append((inv.value[0], inv.value[1][1], inv.time,
                           comp.time if typ == "ok" else math.inf, typ == "ok"))
    out = {}
    for i, inv, comp, typ in ops:
        if inv.f != "read" or typ != "ok":
            continue
        k, v = comp.value
        if v is None:
            c = -math.inf
        else:
            src = [w for w in writes if w[0] == k and w[1] == v]
            if not src:
                out[i] = (0, 0, True)
                continue
            c = src[0][3]
        missed = [w for w in writes if w[0] == k and w[4] and w[1] != v
                  and w[3] < inv.time and w[2] > c]
        out[i] = (len(missed), inv.time - min(w[3] for w in missed) if missed else 0, False)
    return out


@st.composite
def register_histories(draw: Any) -> History:
    b = Builder()
    n_proc = draw(st.integers(1, 4))
    next_value = {"x": 0, "y": 0}
    written: dict[str, list[int]] = {"x": [], "y": []}
    for p in range(n_proc):
        t = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(0, 8))):
            k = draw(st.sampled_from(["x", "y"]))
            dur = draw(st.integers(1, 6))
            kind = draw(st.sampled_from(["read", "read", "write", "cas"]))
            outcome = draw(st.sampled_from(["ok", "ok", "ok", "fail", "info"]))
            if kind == "read":
                v = draw(st.sampled_from([None, *written[k], 99]))
                b.r(p, k, v, t, t + dur)
            else:
                next_value[k] += 1
                v = next_value[k]
                written[k].append(v)
                end = None if outcome == "info" else t + dur
                if kind == "write":
                    b.w(p, k, v, t, end, type=outcome if end is not None else "ok")
                else:
                    old = draw(st.sampled_from([None, *written[k][:-1]]))
                    b.op(p, "cas", [k, [old, v]], [k, [old, v]], t, end,
                         type=outcome if end is not None else "ok")
                if end is None:
                    break  # an info op ends the process
            t += dur + draw(st.integers(0, 4))
    return b.build()


@settings(max_examples=300, deadline=None)
@given(register_histories())
def test_matches_reference(h: History) -> None:
    view = decode(h)
    st_ = measure(view)
    ref = reference(h)
    got = {}
    for r in range(len(view.r_key)):
        if not view.r_cas[r]:
            got[view.r_op[r]] = (st_.missed[r], st_.time_ns[r], view.r_src[r] == -2)
    assert got == ref
    # Summary figures: nearest-rank quantiles over the non-thin-air reads.
    res = staleness(h)
    if len(h) == 0:
        assert res.valid == "unknown"
        return
    fresh = sorted(t / 1e6 for (_n, t, thin) in ref.values() if not thin)
    assert res.data["reads"] == len(fresh)
    if fresh:
        for q, name in ((0.5, "p50"), (0.99, "p99"), (1.0, "max")):
            assert res.data["time_staleness_ms"][name] == fresh[math.ceil(q * len(fresh)) - 1]
    # A successful cas also read its ``old`` value, which must have been written too.
    written = {(op.value[0], op.value[1] if op.f == "write" else op.value[1][1])
               for op, done in h.pairs()
               if op.f in ("write", "cas") and (done is None or done.type != "fail")}
    thin_cas = any(op.f == "cas" and done is not None and done.type == "ok"
                   and op.value[1][0] is not None and (op.value[0], op.value[1][0]) not in written
                   for op, done in h.pairs())
    assert res.valid is (not thin_cas and not any(thin for (_n, _t, thin) in ref.values()))
    # t-visibility: brute force over (read, write) pairs.
    reads = [r for r in range(len(view.r_key)) if not view.r_cas[r] and view.r_src[r] != -2]
    for p in t_visibility(reads, st_, [0, 1, 3, 7]):
        t = p["t_ms"] * 1_000_000
        eligible = visible = 0
        for r in reads:
            k, inv = view.r_key[r], view.r_inv[r]
            comps = [view.w_comp[w] for w in range(len(view.w_key))
                     if view.w_key[w] == k and view.w_ok[w]]
            if not comps or inv - min(comps) < t:
                continue
            eligible += 1
            n, ts, _ = ref[view.r_op[r]]
            if not (n and (ts >= t if t > 0 else True)):
                visible += 1
        assert (p["reads"], p["visible"]) == (eligible, visible)


# --- the numpy pass (``_staleness_np``) against the per-read one ----------------------------

def figures(st_: ReadStaleness) -> tuple[list[Any], ...]:
    return st_.missed, st_.time_ns, st_.first_missed, st_.age_ns


@settings(max_examples=300, deadline=None)
@given(register_histories())
def test_numpy_pass_same_as_per_read(h: History) -> None:
    view = decode(h)
    assert figures(measure(view, vectorised=True)) == figures(measure(view, vectorised=False))


def test_numpy_pass_on_a_large_history() -> None:
    view = decode(stale_register_history(6000, 6, 2))
    numpy_pass = measure(view, vectorised=True)
    assert figures(numpy_pass) == figures(measure(view, vectorised=False))
    assert sum(numpy_pass.missed) > 0


def test_numpy_pass_leaves_out_keys_whose_values_repeat() -> None:
    b = Builder()
    b.w(0, "x", 1, 0, 1)
    b.w(0, "x", 1, 2, 3)
    b.w(0, "y", 1, 4, 5)
    b.w(0, "y", 2, 6, 7)
    b.r(1, "x", 1, 8, 9)
    b.r(2, "y", 1, 8, 9)
    view = decode(b.build())
    assert view.ambiguous_keys == {"x"}
    numpy_pass = measure(view, vectorised=True)
    assert figures(numpy_pass) == figures(measure(view, vectorised=False))
    assert numpy_pass.missed == [0, 1]
